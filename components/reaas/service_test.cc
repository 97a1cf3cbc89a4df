// The REaaS service end to end on loopback, with real TLS (a self-signed pair
// made by openssl): both APIs answer what the library computes, bad keys,
// rates, quotas, oversized and malformed requests get their gRPC codes while
// the server keeps serving, concurrent clients share encoder passes, a client
// that gives up mid-request harms nothing, and shutdown finishes accepted work.
#include "components/reaas/service.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "components/reaas/bounds.h"
#include "components/reaas/client.h"
#include "components/status/status_matchers.h"

namespace warden::reaas {
namespace {

using ::testing::HasSubstr;
using ::warden::testing::StatusIs;

// A self-signed certificate for localhost / 127.0.0.1 in `dir`.
void MakeCertificate(const std::string& dir, const std::string& name) {
  const std::string cmd = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext "
      "subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout ",
      dir, "/", name, ".key -out ", dir, "/", name, ".pem >/dev/null 2>&1");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

class ServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(::testing::TempDir());
    MakeCertificate(*dir_, "server");
    MakeCertificate(*dir_, "other");
  }

  void SetUp() override {
    absl::StatusOr<RobustEncoder> e = MakeRobustEncoder({.width = 4, .feature_dim = 8, .image_size = 28}, 1);
    ASSERT_TRUE(e.ok());
    encoder_ = Fold(*e);
  }

  ServerConfig Config() const {
    ServerConfig c;
    c.tls_cert = *dir_ + "/server.pem";
    c.tls_key = *dir_ + "/server.key";
    c.keys = {{"good", 1000, 1000, -1}, {"slow", 0.01, 2, -1}, {"capped", 1000, 1000, 3}};
    c.max_request_bytes = 64 << 10;
    c.batch_window_ms = 5;
    return c;
  }

  std::unique_ptr<ReaasClient> Client(int port, const std::string& key, const std::string& cert = "server") {
    ClientConfig c;
    c.target = absl::StrCat("localhost:", port);
    c.root_cert = *dir_ + "/" + cert + ".pem";
    c.api_key = key;
    c.deadline = std::chrono::seconds(20);
    absl::StatusOr<std::unique_ptr<ReaasClient>> client = ReaasClient::Connect(c);
    EXPECT_TRUE(client.ok());
    return std::move(*client);
  }

  static std::string* dir_;
  FoldedEncoder encoder_;
};
std::string* ServiceTest::dir_ = nullptr;

TEST_F(ServiceTest, BothApisAnswerWhatTheLibraryComputes) {
  ASSERT_OK_AND_ASSIGN(auto server, ReaasServer::Start(encoder_, Config()));
  auto client = Client(server->port(), "good");
  ASSERT_OK_AND_ASSIGN(const ServiceInfo info, client->Health());
  EXPECT_EQ(info.status, "serving");
  EXPECT_EQ(info.image_size, 28);
  EXPECT_EQ(info.feature_dim, 8);
  torch::manual_seed(2);
  const at::Tensor x = at::rand({5, 1, 28, 28});
  ASSERT_OK_AND_ASSIGN(const at::Tensor f, client->Features(x));
  EXPECT_TRUE(f.allclose(encoder_.Forward(x), 1e-5, 1e-6));
  const LipschitzBound global = GlobalLipschitz(encoder_);
  ASSERT_OK_AND_ASSIGN(const F2IPerturbAnswer lip, client->F2IPerturb(x[0], 0.5, F2IMethod::kLipschitz));
  EXPECT_NEAR(lip.radius, *LipschitzRadius(global, 0.5), 1e-9);
  ASSERT_OK_AND_ASSIGN(const F2IPerturbAnswer box, client->F2IPerturb(x[0], 0.5, F2IMethod::kIntervals));
  ASSERT_OK_AND_ASSIGN(const PropagationResult local_box,
                       PropagationRadius(encoder_, global, x[0], 0.5, {.relaxation = Relaxation::kInterval}));
  EXPECT_NEAR(box.radius, local_box.radius, 1e-9);
  ASSERT_OK_AND_ASSIGN(const F2IPerturbAnswer lin, client->F2IPerturb(x[0], 0.5));  // the default
  ASSERT_OK_AND_ASSIGN(const PropagationResult local_lin,
                       PropagationRadius(encoder_, global, x[0], 0.5, {.relaxation = Relaxation::kLinear}));
  EXPECT_NEAR(lin.radius, local_lin.radius, 1e-9);
  EXPECT_GE(box.radius, lip.radius);
  EXPECT_GE(lin.radius, box.radius * (1 - 1e-3));
  const ServerStats stats = server->Stats();
  int64_t ok = 0;
  for (const MethodStats& m : stats.methods) ok += m.requests;
  EXPECT_EQ(ok, 5);  // health, features, three F2IPerturb
}

TEST_F(ServiceTest, BadRequestsGetTheirCodesAndTheServerStaysUp) {
  ASSERT_OK_AND_ASSIGN(auto server, ReaasServer::Start(encoder_, Config()));
  const at::Tensor x = at::rand({2, 1, 28, 28});
  EXPECT_THAT(Client(server->port(), "nope")->Features(x).status(),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Client(server->port(), "")->Health().status(), StatusIs(absl::StatusCode::kUnauthenticated));
  auto good = Client(server->port(), "good");
  // 30 images = 94 KB > 64 KiB.
  EXPECT_THAT(good->Features(at::rand({30, 1, 28, 28})).status(),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(good->Features(at::rand({2, 1, 27, 28})).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("28 x 28")));
  at::Tensor nan = x.clone();
  nan[1][0][5][5] = std::nanf("");
  EXPECT_THAT(good->Features(nan).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("finite")));
  EXPECT_THAT(good->F2IPerturb(x[0], -1).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(good->F2IPerturb(x[0], INFINITY).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  // Rate: a burst of 2, refilled at 0.01/s.
  auto slow = Client(server->port(), "slow");
  ASSERT_OK(slow->Health().status());
  ASSERT_OK(slow->Health().status());
  EXPECT_THAT(slow->Health().status(), StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("rate")));
  // Quota: 3 requests in all.
  auto capped = Client(server->port(), "capped");
  for (int i = 0; i < 3; ++i) ASSERT_OK(capped->Health().status());
  EXPECT_THAT(capped->Health().status(), StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("quota")));
  // A client that does not trust the server's certificate cannot connect.
  EXPECT_THAT(Client(server->port(), "good", "other")->Health().status(),
              StatusIs(absl::StatusCode::kUnavailable));
  // The server still serves, bit for bit.
  ASSERT_OK_AND_ASSIGN(const at::Tensor f, good->Features(x));
  EXPECT_TRUE(f.allclose(encoder_.Forward(x), 1e-5, 1e-6));
  const ServerStats stats = server->Stats();
  int64_t errors = 0;
  for (const MethodStats& m : stats.methods) errors += m.errors;
  EXPECT_GE(errors, 8);
}

TEST_F(ServiceTest, ConcurrentClientsShareEncoderPasses) {
  ASSERT_OK_AND_ASSIGN(auto server, ReaasServer::Start(encoder_, Config()));
  torch::manual_seed(3);
  const at::Tensor x = at::rand({4, 1, 28, 28});
  const at::Tensor expected = encoder_.Forward(x);
  constexpr int kClients = 16, kCalls = 8;
  std::vector<std::thread> threads;
  std::atomic<int> matches{0};
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&] {
      auto client = Client(server->port(), "good");
      for (int i = 0; i < kCalls; ++i) {
        absl::StatusOr<at::Tensor> f = client->Features(x);
        if (f.ok() && f->allclose(expected, 1e-5, 1e-6)) ++matches;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(matches, kClients * kCalls);
  const ServerStats stats = server->Stats();
  EXPECT_EQ(stats.batched_images, kClients * kCalls * 4);
  EXPECT_LT(stats.batches, kClients * kCalls);  // some passes served several clients
}

TEST_F(ServiceTest, AbandonedRequestsAndGracefulShutdown) {
  ServerConfig config = Config();
  config.batch_window_ms = 400;  // a feature request waits this long for company
  ASSERT_OK_AND_ASSIGN(auto server, ReaasServer::Start(encoder_, config));
  const at::Tensor x = at::rand({1, 28, 28});
  {
    // A client that gives up after 1 ms, mid-request.
    ClientConfig c;
    c.target = absl::StrCat("localhost:", server->port());
    c.root_cert = *dir_ + "/server.pem";
    c.api_key = "good";
    c.deadline = std::chrono::milliseconds(1);
    ASSERT_OK_AND_ASSIGN(auto impatient, ReaasClient::Connect(c));
    EXPECT_FALSE(impatient->F2IPerturb(x, 5.0).ok());
  }
  auto client = Client(server->port(), "good");
  ASSERT_OK(client->Health().status());
  // Shutdown while a feature request sits in the batcher: it still completes.
  absl::StatusOr<at::Tensor> in_flight;
  const auto start = std::chrono::steady_clock::now();
  std::thread t([&] { in_flight = client->Features(x.unsqueeze(0)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server->Shutdown(std::chrono::seconds(20));
  t.join();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(350));  // it was in flight
  ASSERT_TRUE(in_flight.ok()) << in_flight.status();
  EXPECT_TRUE(in_flight->allclose(encoder_.Forward(x.unsqueeze(0)), 1e-5, 1e-6));
  EXPECT_FALSE(client->Health().ok());  // refused after shutdown
}

TEST_F(ServiceTest, ConfigErrors) {
  ServerConfig plain = Config();
  plain.tls_cert.clear();
  plain.tls_key.clear();
  EXPECT_THAT(ReaasServer::Start(encoder_, plain).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("TLS")));
  ServerConfig no_keys = Config();
  no_keys.keys.clear();
  EXPECT_THAT(ReaasServer::Start(encoder_, no_keys).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  ServerConfig missing = Config();
  missing.tls_cert = *dir_ + "/absent.pem";
  EXPECT_THAT(ReaasServer::Start(encoder_, missing).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(const std::vector<ApiKey> keys, ParseApiKeys("# keys\nalpha 5 10 100\nbeta\n\n"));
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].quota, 100);
  EXPECT_EQ(keys[1].rate, 100);
  EXPECT_THAT(ParseApiKeys("alpha x").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
  EXPECT_THAT(ParseApiKeys("a\na").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("repeated")));
  EXPECT_THAT(ParseApiKeys("# none").status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace warden::reaas
