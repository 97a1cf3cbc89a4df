#include "components/tensor/module_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

namespace warden::tensor {
namespace {

using ::testing::HasSubstr;

struct Net : torch::nn::Module {
  explicit Net(int width) {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, width, 3)));
    norm = register_module("norm", torch::nn::BatchNorm2d(width));
  }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d norm{nullptr};
};

TEST(ModuleStateTest, RoundTripsParametersAndBuffers) {
  torch::manual_seed(1);
  Net a(4), b(4);
  {
    torch::NoGradGuard no_grad;
    a.norm->running_mean.fill_(0.25);
  }
  const NamedTensors tensors = ModuleTensors(a);
  ASSERT_EQ(tensors.size(), 7u);  // conv weight+bias, norm weight+bias, mean, var, count
  ASSERT_TRUE(LoadModuleTensors(tensors, b).ok());
  EXPECT_TRUE(torch::equal(a.conv->weight, b.conv->weight));
  EXPECT_TRUE(torch::allclose(b.norm->running_mean, torch::full({4}, 0.25)));
}

TEST(ModuleStateTest, RefusesAnotherShapeAndCopiesNothing) {
  Net small(4), large(8);
  const at::Tensor before = large.conv->weight.clone();
  const absl::Status status = LoadModuleTensors(ModuleTensors(small), large);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("the model expects"));
  EXPECT_TRUE(torch::equal(before, large.conv->weight));
}

TEST(ModuleStateTest, NamesMissingAndUnexpectedTensors) {
  Net net(4);
  NamedTensors tensors = ModuleTensors(net);
  NamedTensors extra = tensors;
  extra.emplace_back("head.weight", torch::zeros({1}));
  EXPECT_THAT(std::string(LoadModuleTensors(extra, net).message()),
              HasSubstr("unexpected tensor \"head.weight\""));
  tensors.erase(tensors.begin());
  EXPECT_THAT(std::string(LoadModuleTensors(tensors, net).message()),
              HasSubstr("lacks tensor \"conv.weight\""));
}

}  // namespace
}  // namespace warden::tensor
