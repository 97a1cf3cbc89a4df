// ONNX export of the smoothing component's MNIST CNN (components/smoothing/
// mnist_cnn.h): raw pixels [batch, 1, 28, 28] in [0, 1] → "logits" [batch, 10],
// with the data set's normalization inside the graph, as in the LibTorch model.
#ifndef WARDEN_COMPONENTS_ONNX_MNIST_EXPORT_H_
#define WARDEN_COMPONENTS_ONNX_MNIST_EXPORT_H_

#include <onnx/onnx_pb.h>

#include "absl/status/statusor.h"
#include "components/smoothing/mnist_cnn.h"

namespace warden::onnx_export {

absl::StatusOr<onnx::ModelProto> ExportMnistCnn(smoothing::MnistCnn& model);

}  // namespace warden::onnx_export

#endif  // WARDEN_COMPONENTS_ONNX_MNIST_EXPORT_H_
