// Checks the ONNX wiring: a model built with Debian's libonnx protobuf classes
// passes the ONNX checker and survives serialization.
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <string>

#include <gtest/gtest.h>

namespace warden::third_party_tests {
namespace {

// y = relu(x @ W), x: [1, 3], W: [3, 2].
onnx::ModelProto TinyModel() {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("warden");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(17);
  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name("tiny");

  onnx::TensorProto* weight = graph->add_initializer();
  weight->set_name("W");
  weight->set_data_type(onnx::TensorProto::FLOAT);
  weight->add_dims(3);
  weight->add_dims(2);
  for (float v : {1.f, -1.f, 0.5f, 2.f, -3.f, 0.f}) weight->add_float_data(v);

  auto add_value = [](onnx::ValueInfoProto* info, const std::string& name, int64_t cols) {
    info->set_name(name);
    auto* tensor = info->mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(onnx::TensorProto::FLOAT);
    tensor->mutable_shape()->add_dim()->set_dim_value(1);
    tensor->mutable_shape()->add_dim()->set_dim_value(cols);
  };
  add_value(graph->add_input(), "x", 3);
  add_value(graph->add_output(), "y", 2);

  onnx::NodeProto* matmul = graph->add_node();
  matmul->set_op_type("MatMul");
  matmul->add_input("x");
  matmul->add_input("W");
  matmul->add_output("xw");
  onnx::NodeProto* relu = graph->add_node();
  relu->set_op_type("Relu");
  relu->add_input("xw");
  relu->add_output("y");
  return model;
}

TEST(OnnxTest, TinyModelPassesCheckerAndRoundTrips) {
  onnx::ModelProto model = TinyModel();
  EXPECT_NO_THROW(onnx::checker::check_model(model));
  const std::string bytes = model.SerializeAsString();
  onnx::ModelProto parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_EQ(parsed.graph().node_size(), 2);
  EXPECT_EQ(parsed.graph().initializer(0).float_data_size(), 6);
}

TEST(OnnxTest, CheckerRejectsUnknownOperator) {
  onnx::ModelProto model = TinyModel();
  model.mutable_graph()->mutable_node(1)->set_op_type("NotAnOnnxOp");
  EXPECT_THROW(onnx::checker::check_model(model), onnx::checker::ValidationError);
}

}  // namespace
}  // namespace warden::third_party_tests
