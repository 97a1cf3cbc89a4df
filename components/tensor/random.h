// Seeded torch generators and Gaussian noise, reproducible per (seed, stream).
#ifndef WARDEN_COMPONENTS_TENSOR_RANDOM_H_
#define WARDEN_COMPONENTS_TENSOR_RANDOM_H_

#include <ATen/core/Generator.h>

#include <cstdint>

#include "absl/status/statusor.h"
#include "components/tensor/seed.h"

namespace at {
class Tensor;
}  // namespace at

namespace warden::tensor {

// A CPU generator for stream `stream` of `seed` (see seed.h). Two generators
// made with the same arguments produce the same numbers.
at::Generator MakeCpuGenerator(uint64_t seed, uint64_t stream = 0);

// Returns x + sigma * N(0, I), noise drawn from stream `stream` of `seed`: the
// sampling step of randomized smoothing. Deterministic per (seed, stream) on a
// given device. On CUDA (builds with --config=cuda) a fused Philox kernel draws
// the noise on the GPU; on CPU, MakeCpuGenerator does. InvalidArgument for a
// non-float32 input or negative sigma.
absl::StatusOr<at::Tensor> AddGaussianNoise(const at::Tensor& x, double sigma, uint64_t seed,
                                            uint64_t stream = 0);

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_RANDOM_H_
