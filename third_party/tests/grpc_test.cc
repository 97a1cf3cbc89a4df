// Checks the protobuf/gRPC wiring: generated code compiles and links against
// Debian's libprotobuf/libgrpc++, and a real server on loopback answers a call.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "third_party/tests/echo.grpc.pb.h"
#include "third_party/tests/echo.pb.h"

namespace warden::third_party_tests {
namespace {

class EchoService final : public Echo::Service {
  grpc::Status Say(grpc::ServerContext*, const EchoRequest* request, EchoReply* reply) override {
    if (request->text().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "empty text");
    }
    float sum = 0;
    for (float v : request->values()) sum += v;
    reply->set_text(request->text());
    reply->set_sum(sum);
    return grpc::Status::OK;
  }
};

TEST(ProtobufTest, RoundTripsThroughWireFormat) {
  EchoRequest request;
  request.set_text("héllo");
  request.add_values(1.5f);
  request.add_values(-2.0f);
  const std::string wire = request.SerializeAsString();
  EchoRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_EQ(parsed.text(), "héllo");
  ASSERT_EQ(parsed.values_size(), 2);
  EXPECT_FLOAT_EQ(parsed.values(1), -2.0f);
  EXPECT_FALSE(parsed.ParseFromString(std::string("\xff\xff\xff", 3)));
}

TEST(GrpcTest, ServerOnLoopbackAnswers) {
  EchoService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(port, 0);

  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                     grpc::InsecureChannelCredentials());
  auto stub = Echo::NewStub(channel);

  EchoRequest request;
  request.set_text("ping");
  request.add_values(0.25f);
  request.add_values(0.5f);
  EchoReply reply;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status status = stub->Say(&context, request, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.text(), "ping");
  EXPECT_FLOAT_EQ(reply.sum(), 0.75f);

  grpc::ClientContext bad_context;
  bad_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  EchoRequest empty;
  grpc::Status bad = stub->Say(&bad_context, empty, &reply);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  server->Shutdown();
}

}  // namespace
}  // namespace warden::third_party_tests
