#include "components/tensor/module_state.h"

#include <torch/torch.h>

#include <map>

#include "absl/strings/str_cat.h"

namespace warden::tensor {
namespace {

// Parameters then buffers, by their dotted names.
std::vector<std::pair<std::string, at::Tensor>> Slots(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, at::Tensor>> slots;
  for (const auto& item : module.named_parameters()) slots.emplace_back(item.key(), item.value());
  for (const auto& item : module.named_buffers()) slots.emplace_back(item.key(), item.value());
  return slots;
}

std::string Shape(const at::Tensor& t) {
  return absl::StrCat(c10::toString(t.scalar_type()), " [", c10::Join(", ", t.sizes()), "]");
}

}  // namespace

NamedTensors ModuleTensors(const torch::nn::Module& module) {
  NamedTensors out;
  for (auto& [name, value] : Slots(module)) {
    out.emplace_back(name, value.detach().to(at::kCPU).contiguous());
  }
  return out;
}

absl::Status LoadModuleTensors(const NamedTensors& tensors, torch::nn::Module& module) {
  std::map<std::string, const at::Tensor*> given;
  for (const auto& [name, value] : tensors) {
    if (!given.emplace(name, &value).second) {
      return absl::InvalidArgumentError(absl::StrCat("tensor \"", name, "\" appears twice"));
    }
  }
  const auto slots = Slots(module);
  for (const auto& [name, slot] : slots) {
    auto it = given.find(name);
    if (it == given.end()) return absl::InvalidArgumentError(absl::StrCat("lacks tensor \"", name, "\""));
    const at::Tensor& value = *it->second;
    if (value.sizes() != slot.sizes() || value.scalar_type() != slot.scalar_type()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor \"", name, "\" is ", Shape(value), ", the model expects ", Shape(slot)));
    }
  }
  if (given.size() != slots.size()) {
    for (const auto& [name, value] : tensors) {
      bool known = false;
      for (const auto& slot : slots) known = known || slot.first == name;
      if (!known) return absl::InvalidArgumentError(absl::StrCat("unexpected tensor \"", name, "\""));
    }
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, slot] : slots) slot.copy_(*given.at(name));
  return absl::OkStatus();
}

}  // namespace warden::tensor
