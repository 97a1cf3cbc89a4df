// A small builder of ONNX graphs (Debian's libonnx protobuf messages) for
// exporting Warden's LibTorch models by hand: the model code is short and
// fixed, so each exporter writes its graph op by op (clip_export.h,
// mnist_export.h) instead of tracing.
#ifndef WARDEN_COMPONENTS_ONNX_GRAPH_BUILDER_H_
#define WARDEN_COMPONENTS_ONNX_GRAPH_BUILDER_H_

#include <ATen/core/Tensor.h>
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace warden::onnx_export {

// The opset every exporter targets (LayerNormalization needs 17).
inline constexpr int64_t kOpset = 17;

// A dimension of a graph input or output: fixed (> 0) or named and dynamic.
struct Dim {
  int64_t size = 0;
  std::string name;  // used when size <= 0
};

class GraphBuilder {
 public:
  explicit GraphBuilder(const std::string& graph_name);

  // A constant tensor (float32 or int64; copied, made contiguous on the CPU).
  // Returns the name of a float32/int64 value ("<prefix>" made unique). With
  // exact-half storage on, a float tensor whose every value is a float16
  // number is stored as float16 and cast back to float32 by a Cast node,
  // which ONNX Runtime folds when it loads the model: half the file, the same
  // numbers (the committed CLIP encoder is F16, so all its weights qualify).
  std::string Initializer(const std::string& prefix, const at::Tensor& value);
  void set_store_exact_half(bool on) { store_exact_half_ = on; }
  std::string Ints(const std::string& prefix, const std::vector<int64_t>& values);  // 1-D int64
  std::string Scalar(const std::string& prefix, float value);                       // 0-D float

  void Input(const std::string& name, int32_t elem_type, const std::vector<Dim>& dims);
  void Output(const std::string& name, int32_t elem_type, const std::vector<Dim>& dims);

  // Adds a node; returns the name of its (first) output, made unique from `op`
  // unless `output` is given.
  std::string Node(const std::string& op, const std::vector<std::string>& inputs,
                   const std::vector<onnx::AttributeProto>& attributes = {}, const std::string& output = "");

  // y = x · Wᵀ + b for a torch Linear's weight [out, in] and bias (may be undefined).
  std::string Linear(const std::string& x, const at::Tensor& weight, const at::Tensor& bias,
                     const std::string& prefix);

  // The finished model, checked by onnx::checker (InvalidArgument with its message).
  absl::StatusOr<onnx::ModelProto> Finish(const std::string& doc);

 private:
  std::string Fresh(const std::string& prefix);
  onnx::ModelProto model_;
  onnx::GraphProto* graph_;
  int64_t counter_ = 0;
  bool store_exact_half_ = false;
};

onnx::AttributeProto IntAttr(const std::string& name, int64_t value);
onnx::AttributeProto FloatAttr(const std::string& name, float value);
onnx::AttributeProto IntsAttr(const std::string& name, const std::vector<int64_t>& values);

// Writes the model to `path` atomically.
absl::Status SaveModel(const onnx::ModelProto& model, const std::string& path);

}  // namespace warden::onnx_export

#endif  // WARDEN_COMPONENTS_ONNX_GRAPH_BUILDER_H_
