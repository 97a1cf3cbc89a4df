#include "components/onnx/mnist_export.h"

#include <ATen/ATen.h>

#include <map>
#include <string>

#include "components/onnx/graph_builder.h"

namespace warden::onnx_export {

absl::StatusOr<onnx::ModelProto> ExportMnistCnn(smoothing::MnistCnn& model) {
  std::map<std::string, at::Tensor> p;
  for (const auto& item : model->named_parameters()) p[item.key()] = item.value().detach().to(at::kFloat);
  for (const char* name : {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight",
                           "fc1.bias", "fc2.weight", "fc2.bias"}) {
    if (p.count(name) == 0) return absl::InvalidArgumentError(std::string("the model has no ") + name);
  }
  GraphBuilder g("mnist_cnn");
  g.Input("pixels", onnx::TensorProto::FLOAT, {{0, "batch"}, {1, ""}, {28, ""}, {28, ""}});
  std::string x = g.Node("Div", {g.Node("Sub", {"pixels", g.Scalar("mean", smoothing::kMnistMean)}),
                                 g.Scalar("std", smoothing::kMnistStd)});
  auto conv_block = [&](const std::string& in, const std::string& name) {
    const std::string conv = g.Node("Conv",
                                    {in, g.Initializer(name + "_w", p.at(name + ".weight")),
                                     g.Initializer(name + "_b", p.at(name + ".bias"))},
                                    {IntsAttr("kernel_shape", {5, 5})});
    return g.Node("MaxPool", {g.Node("Relu", {conv})},
                  {IntsAttr("kernel_shape", {2, 2}), IntsAttr("strides", {2, 2})});
  };
  x = conv_block(conv_block(x, "conv1"), "conv2");
  x = g.Node("Flatten", {x}, {IntAttr("axis", 1)});
  x = g.Node("Relu", {g.Linear(x, p.at("fc1.weight"), p.at("fc1.bias"), "fc1")});
  g.Node("Identity", {g.Linear(x, p.at("fc2.weight"), p.at("fc2.bias"), "fc2")}, {}, "logits");
  g.Output("logits", onnx::TensorProto::FLOAT, {{0, "batch"}, {10, ""}});
  return g.Finish("MNIST CNN: raw pixels in [0, 1] -> logits");
}

}  // namespace warden::onnx_export
