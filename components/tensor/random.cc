#include "components/tensor/random.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "absl/strings/str_cat.h"

#ifdef WARDEN_WITH_CUDA
#include "components/tensor/noise_cuda.h"
#endif

namespace warden::tensor {

at::Generator MakeCpuGenerator(uint64_t seed, uint64_t stream) {
  return at::make_generator<at::CPUGeneratorImpl>(StreamSeed(seed, stream));
}

absl::StatusOr<at::Tensor> AddGaussianNoise(const at::Tensor& x, double sigma, uint64_t seed,
                                            uint64_t stream) {
  if (x.scalar_type() != at::kFloat) {
    return absl::InvalidArgumentError(
        absl::StrCat("AddGaussianNoise: expected float32 input, got ", c10::toString(x.scalar_type())));
  }
  if (!(sigma >= 0)) {
    return absl::InvalidArgumentError(absl::StrCat("AddGaussianNoise: sigma must be >= 0, got ", sigma));
  }
  if (x.is_cuda()) {
#ifdef WARDEN_WITH_CUDA
    at::Tensor input = x.contiguous();
    at::Tensor out = at::empty_like(input);
    const std::string error =
        LaunchAddGaussianNoise(input.data_ptr<float>(), out.data_ptr<float>(), input.numel(),
                               static_cast<float>(sigma), StreamSeed(seed, stream));
    if (!error.empty()) return absl::InternalError(absl::StrCat("AddGaussianNoise: ", error));
    return out;
#else
    return absl::FailedPreconditionError(
        "AddGaussianNoise: CUDA tensor, but this build has no CUDA kernels (build with --config=cuda)");
#endif
  }
  at::Generator gen = MakeCpuGenerator(seed, stream);
  // One allocation: draw the noise in place, then add x (broadcasting x if it
  // is an expanded view, as the smoothing sampler passes).
  at::Tensor out = at::empty(x.sizes(), x.options().memory_format(at::MemoryFormat::Contiguous));
  out.normal_(0.0, sigma, gen);
  return out.add_(x);
}

}  // namespace warden::tensor
