// A torch::nn::Module's parameters and buffers as named tensors, and back:
// the bridge between models and atomic checkpoints (checkpoint.h). Loading
// checks names, shapes and dtypes before it copies anything, so a checkpoint
// of another architecture is refused whole and leaves the module untouched.
#ifndef WARDEN_COMPONENTS_TENSOR_MODULE_STATE_H_
#define WARDEN_COMPONENTS_TENSOR_MODULE_STATE_H_

#include <torch/nn/module.h>

#include "absl/status/status.h"
#include "components/tensor/safetensors_torch.h"

namespace warden::tensor {

// Every parameter and buffer of `module` (recursively, in registration order),
// detached and on the CPU.
NamedTensors ModuleTensors(const torch::nn::Module& module);

// Copies `tensors` into `module`'s parameters and buffers. InvalidArgument
// naming the first missing, unexpected or mis-shaped (or mis-typed) tensor;
// nothing is copied unless every tensor matches.
absl::Status LoadModuleTensors(const NamedTensors& tensors, torch::nn::Module& module);

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_MODULE_STATE_H_
