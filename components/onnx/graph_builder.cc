#include "components/onnx/graph_builder.h"

#include <ATen/ATen.h>
#include <onnx/checker.h>

#include "absl/strings/str_cat.h"
#include "components/tensor/atomic_file.h"

namespace warden::onnx_export {
namespace {

void SetShape(onnx::ValueInfoProto* info, const std::string& name, int32_t elem_type,
              const std::vector<Dim>& dims) {
  info->set_name(name);
  auto* tensor = info->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(elem_type);
  for (const Dim& d : dims) {
    auto* dim = tensor->mutable_shape()->add_dim();
    if (d.size > 0) {
      dim->set_dim_value(d.size);
    } else {
      dim->set_dim_param(d.name);
    }
  }
}

}  // namespace

GraphBuilder::GraphBuilder(const std::string& graph_name) {
  model_.set_ir_version(8);
  model_.set_producer_name("warden");
  auto* opset = model_.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  graph_ = model_.mutable_graph();
  graph_->set_name(graph_name);
}

std::string GraphBuilder::Fresh(const std::string& prefix) { return absl::StrCat(prefix, "_", counter_++); }

std::string GraphBuilder::Initializer(const std::string& prefix, const at::Tensor& value) {
  const std::string name = Fresh(prefix);
  onnx::TensorProto* t = graph_->add_initializer();
  t->set_name(name);
  at::Tensor v = value.detach().cpu().contiguous();
  bool as_half = false;
  if (v.scalar_type() == at::kLong) {
    t->set_data_type(onnx::TensorProto::INT64);
  } else {
    v = v.to(at::kFloat).contiguous();
    const at::Tensor half = v.to(at::kHalf);
    as_half = store_exact_half_ && v.numel() > 1 && at::equal(half.to(at::kFloat), v);
    if (as_half) v = half.contiguous();
    t->set_data_type(as_half ? onnx::TensorProto::FLOAT16 : onnx::TensorProto::FLOAT);
  }
  for (int64_t d : v.sizes()) t->add_dims(d);
  // raw_data is little-endian, as every machine that runs this.
  t->set_raw_data(std::string(static_cast<const char*>(v.data_ptr()), v.numel() * v.element_size()));
  if (!as_half) return name;
  t->set_name(name + "_f16");
  return Node("Cast", {name + "_f16"}, {IntAttr("to", onnx::TensorProto::FLOAT)}, name);
}

std::string GraphBuilder::Ints(const std::string& prefix, const std::vector<int64_t>& values) {
  return Initializer(prefix, at::tensor(values, at::kLong));
}

std::string GraphBuilder::Scalar(const std::string& prefix, float value) {
  return Initializer(prefix, at::scalar_tensor(value, at::kFloat));
}

void GraphBuilder::Input(const std::string& name, int32_t elem_type, const std::vector<Dim>& dims) {
  SetShape(graph_->add_input(), name, elem_type, dims);
}

void GraphBuilder::Output(const std::string& name, int32_t elem_type, const std::vector<Dim>& dims) {
  SetShape(graph_->add_output(), name, elem_type, dims);
}

std::string GraphBuilder::Node(const std::string& op, const std::vector<std::string>& inputs,
                               const std::vector<onnx::AttributeProto>& attributes,
                               const std::string& output) {
  onnx::NodeProto* node = graph_->add_node();
  node->set_op_type(op);
  const std::string out = output.empty() ? Fresh(op) : output;
  node->set_name(out);
  for (const std::string& in : inputs) node->add_input(in);
  node->add_output(out);
  for (const onnx::AttributeProto& a : attributes) *node->add_attribute() = a;
  return out;
}

std::string GraphBuilder::Linear(const std::string& x, const at::Tensor& weight, const at::Tensor& bias,
                                 const std::string& prefix) {
  std::string y = Node("MatMul", {x, Initializer(prefix + "_wt", weight.t())});
  if (bias.defined()) y = Node("Add", {y, Initializer(prefix + "_b", bias)});
  return y;
}

absl::StatusOr<onnx::ModelProto> GraphBuilder::Finish(const std::string& doc) {
  graph_->set_doc_string(doc);
  try {
    onnx::checker::check_model(model_);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("ONNX checker: ", e.what()));
  }
  return model_;
}

onnx::AttributeProto IntAttr(const std::string& name, int64_t value) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(value);
  return a;
}

onnx::AttributeProto FloatAttr(const std::string& name, float value) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::FLOAT);
  a.set_f(value);
  return a;
}

onnx::AttributeProto IntsAttr(const std::string& name, const std::vector<int64_t>& values) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a.add_ints(v);
  return a;
}

absl::Status SaveModel(const onnx::ModelProto& model, const std::string& path) {
  std::string bytes;
  if (!model.SerializeToString(&bytes)) return absl::InternalError("could not serialize the ONNX model");
  return tensor::WriteTextAtomically(path, bytes);
}

}  // namespace warden::onnx_export
