// Process-wide LibTorch settings for Warden binaries.
#ifndef WARDEN_COMPONENTS_TENSOR_RUNTIME_H_
#define WARDEN_COMPONENTS_TENSOR_RUNTIME_H_

namespace warden::tensor {

// Uses every core for intra-op parallelism unless OMP_NUM_THREADS says
// otherwise (Debian's LibTorch starts with one thread). Call once, early.
void InitTorchRuntime();

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_RUNTIME_H_
