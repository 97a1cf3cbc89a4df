// The client's certificates: the linear head's radius is the exact distance to
// its decision boundary, the MLP's Lipschitz margin is never crossed by random
// or gradient perturbations, feature smoothing certifies what it predicts, and
// end to end REaaS spends 2 queries per certified input (counted by the
// server) where SEaaS spends n0 + n.
#include "components/reaas/downstream.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "components/reaas/service.h"
#include "components/smoothing/stats_core.h"
#include "components/status/status_matchers.h"

namespace warden::reaas {
namespace {

struct Toy {
  at::Tensor x, y;
};

Toy Blobs(int64_t per_class, uint64_t seed) {
  at::manual_seed(seed);
  at::Tensor y = at::arange(3).repeat_interleave(per_class);
  return {(at::eye(3, 6) * 3).index_select(0, y) + at::randn({3 * per_class, 6}), y};
}

HeadConfig Config(int64_t hidden) {
  HeadConfig c;
  c.hidden = hidden;
  c.epochs = 20;
  c.batch_size = 32;
  return c;
}

TEST(DownstreamTest, LinearRadiusIsTheDistanceToTheBoundary) {
  const Toy t = Blobs(40, 1);
  ASSERT_OK_AND_ASSIGN(const DownstreamHead head, TrainHead(t.x, t.y, 3, Config(0)));
  const std::vector<FeatureCertificate> certs = CertifyBase(head, t.x);
  const at::Tensor z = head.Logits(t.x);
  for (int64_t i = 0; i < 20; ++i) {
    const int64_t c = certs[i].label;
    ASSERT_EQ(c, z[i].argmax().item<int64_t>());
    // The nearest boundary: the j whose hyperplane is closest.
    int64_t nearest = -1;
    double best = INFINITY;
    for (int64_t j = 0; j < 3; ++j) {
      if (j == c) continue;
      const double d = ((z[i][c] - z[i][j]) / (head.w1[c] - head.w1[j]).norm()).item<double>();
      if (d < best) best = d, nearest = j;
    }
    EXPECT_NEAR(certs[i].radius, best, 1e-5);
    const at::Tensor u = (head.w1[nearest] - head.w1[c]) / (head.w1[nearest] - head.w1[c]).norm();
    const at::Tensor inside = t.x[i] + u * (certs[i].radius * (1 - 1e-3));
    const at::Tensor outside = t.x[i] + u * (certs[i].radius * (1 + 1e-3));
    EXPECT_EQ(head.Logits(inside.unsqueeze(0)).argmax(1).item<int64_t>(), c);
    EXPECT_NE(head.Logits(outside.unsqueeze(0)).argmax(1).item<int64_t>(), c);
  }
}

TEST(DownstreamTest, MlpMarginIsNeverCrossed) {
  const Toy t = Blobs(40, 2);
  ASSERT_OK_AND_ASSIGN(const DownstreamHead head, TrainHead(t.x, t.y, 3, Config(16)));
  ASSERT_TRUE(head.mlp());
  const std::vector<FeatureCertificate> certs = CertifyBase(head, t.x);
  int64_t positive = 0;
  for (int64_t i = 0; i < 30; ++i) {
    positive += certs[i].radius > 0;
    for (int k = 0; k < 20; ++k) {
      at::Tensor delta = at::randn({6});
      delta *= certs[i].radius / delta.norm().item<double>();
      EXPECT_EQ(head.Logits((t.x[i] + delta).unsqueeze(0)).argmax(1).item<int64_t>(), certs[i].label);
    }
  }
  EXPECT_GT(positive, 20);
}

TEST(DownstreamTest, SmoothedHeadCertifiesItsPrediction) {
  const Toy t = Blobs(40, 3);
  HeadConfig c = Config(0);
  c.feature_noise = 0.5;
  ASSERT_OK_AND_ASSIGN(const DownstreamHead head, TrainHead(t.x, t.y, 3, c));
  smoothing::SmoothingOptions o;
  o.sigma = 0.5;
  o.n0 = 20;
  o.n = 200;
  o.batch_size = 100;
  ASSERT_OK_AND_ASSIGN(const auto certs, CertifySmoothedHead(head, t.x.slice(0, 0, 10), o));
  const double most = 0.5 * smoothing::NormalQuantile(std::pow(1e-3, 1.0 / 200));
  int64_t right = 0;
  for (int64_t i = 0; i < 10; ++i) {
    EXPECT_LE(certs[i].radius, most + 1e-9);
    right += certs[i].label == t.y[i].item<int64_t>();
  }
  EXPECT_GE(right, 8);
}

TEST(DownstreamTest, ReaasSpendsTwoQueriesAndSeaasSpendsNPerInput) {
  const std::string dir = ::testing::TempDir();
  const std::string cmd = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext "
      "subjectAltName=DNS:localhost -keyout ",
      dir, "/d.key -out ", dir, "/d.pem >/dev/null 2>&1");
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  absl::StatusOr<RobustEncoder> e = MakeRobustEncoder({.width = 4, .feature_dim = 8, .image_size = 28}, 4);
  ASSERT_TRUE(e.ok());
  ServerConfig sc;
  sc.tls_cert = dir + "/d.pem";
  sc.tls_key = dir + "/d.key";
  sc.keys = {{"k", 1e6, 1e6, -1}};
  ASSERT_OK_AND_ASSIGN(auto server, ReaasServer::Start(Fold(*e), sc));
  ClientConfig cc;
  cc.target = absl::StrCat("localhost:", server->port());
  cc.root_cert = dir + "/d.pem";
  cc.api_key = "k";
  ASSERT_OK_AND_ASSIGN(auto client, ReaasClient::Connect(cc));
  torch::manual_seed(5);
  const at::Tensor train = at::rand({60, 1, 28, 28}), labels = at::randint(0, 3, {60}, at::kLong);
  ASSERT_OK_AND_ASSIGN(const at::Tensor features, client->Features(train));
  ASSERT_OK_AND_ASSIGN(const DownstreamHead head, TrainHead(features, labels, 3, Config(0)));
  const at::Tensor test = train.slice(0, 0, 6);
  ASSERT_OK_AND_ASSIGN(const EndToEnd bc, CertifyWithReaas(*client, head, test, ClientMode::kBase, {},
                                                           F2IMethod::kLinearRelaxation));
  int64_t certified = 0;
  for (double r : bc.radius) certified += r > 0;
  EXPECT_GT(certified, 0);
  EXPECT_EQ(bc.queries, 6 + certified);  // a Feature call each, an F2IPerturb call per certified input
  const ServerStats stats = server->Stats();
  int64_t features_calls = 0, f2i_calls = 0;
  for (const MethodStats& m : stats.methods) {
    if (m.method == "Features") features_calls = m.requests;
    if (m.method == "F2IPerturb") f2i_calls = m.requests;
  }
  EXPECT_EQ(features_calls, 1 + 6);  // the training features, then one per test input
  EXPECT_EQ(f2i_calls, certified);
  smoothing::SmoothingOptions o;
  o.sigma = 0.25;
  o.n0 = 10;
  o.n = 50;
  o.batch_size = 25;
  ASSERT_OK_AND_ASSIGN(const EndToEnd seaas, CertifyWithSeaas(*client, head, test.slice(0, 0, 2), o));
  EXPECT_EQ(seaas.queries, 2 * (10 + 50));
  EXPECT_GT(seaas.bytes_sent, 2 * 60 * 784 * 4);
}

}  // namespace
}  // namespace warden::reaas
