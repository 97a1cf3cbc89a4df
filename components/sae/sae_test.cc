#include "components/sae/sae.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <numeric>
#include <random>

#include "components/sae/sae_core.h"

namespace warden::sae {
namespace {

SaeConfig Small() {
  SaeConfig c;
  c.d_model = 16;
  c.n_latents = 64;
  c.k = 4;
  c.auxk = 8;
  c.dead_steps = 20;
  return c;
}

// A small SAE whose biases are not zero (so every bias term is exercised).
TopKSae SmallWithBiases() {
  TopKSae sae(Small());
  torch::NoGradGuard no_grad;
  sae->b_pre.normal_();
  sae->b_lat.normal_(0, 0.1);
  return sae;
}

TEST(SaeTest, TorchAndPortableCoreAgree) {
  torch::manual_seed(0);
  TopKSae sae = SmallWithBiases();
  const at::Tensor h = torch::randn({5, 16});
  auto e = sae->Encode(h);
  const at::Tensor recon = sae->Decode(e.values, e.indices);
  const SaeWeights w = ToPortable(sae);
  ASSERT_EQ(w.Validate(), "");
  for (int i = 0; i < 5; ++i) {
    const at::Tensor row = h[i].contiguous();
    const SparseCode code = EncodeTopK(w, row.data_ptr<float>(), 4);
    ASSERT_EQ(code.indices.size(), 4u);
    for (int t = 0; t < 4; ++t) {
      EXPECT_EQ(code.indices[t], e.indices[i][t].item<int64_t>());
      EXPECT_NEAR(code.values[t], e.values[i][t].item<float>(), 1e-5);
    }
    const std::vector<float> decoded = Decode(w, code);
    for (int t = 0; t < 16; ++t) EXPECT_NEAR(decoded[t], recon[i][t].item<float>(), 1e-4);
  }
  // Exactly k entries can be non-zero; negative kept entries are ReLU'd to 0.
  EXPECT_EQ((sae->DenseCode(e) != 0).sum(1).max().item<int64_t>() <= 4, true);
  EXPECT_GE(e.values.min().item<float>(), 0.0f);
}

TEST(SaeTest, BatchEncodeEqualsPerTokenBitForBit) {
  torch::manual_seed(1);
  SaeConfig c = Small();
  c.d_model = 21;  // not a multiple of the dot product's 8 lanes
  TopKSae sae(c);
  const SaeWeights w = ToPortable(sae);
  const at::Tensor h = torch::randn({7, 21});
  const std::vector<float> batch = PreActivationsBatch(w, h.data_ptr<float>(), 7);
  const std::vector<SparseCode> codes = EncodeTopKBatch(w, h.data_ptr<float>(), 7, 4);
  ASSERT_EQ(codes.size(), 7u);
  for (int t = 0; t < 7; ++t) {
    const float* row = h.data_ptr<float>() + t * 21;
    const std::vector<float> one = PreActivations(w, row);
    for (int j = 0; j < w.n_latents; ++j) ASSERT_EQ(batch[t * w.n_latents + j], one[j]);
    const SparseCode code = EncodeTopK(w, row, 4);
    EXPECT_EQ(codes[t].indices, code.indices);
    EXPECT_EQ(codes[t].values, code.values);
  }
}

// The block-skipping scan against a full sort (value descending, ties to the
// lower index), for lengths around the 16-entry block, with ties and
// infinities; a NaN in a block must not hide a larger entry beside it.
TEST(SaeTest, TopKEqualsASortedReference) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  for (int n : {1, 15, 16, 17, 33, 100, 1000, 8192}) {
    std::vector<float> u(n);
    for (float& x : u) x = std::round(normal(rng) * 8) / 8;  // many ties
    if (n > 40) {
      u[3] = std::numeric_limits<float>::infinity();
      u[37] = -std::numeric_limits<float>::infinity();
    }
    std::vector<int32_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return u[a] > u[b]; });
    for (int k : {1, 5, 32}) {
      if (k > n) continue;
      std::vector<int32_t> got(k);
      TopKIndices(u.data(), n, k, got.data());
      EXPECT_EQ(got, std::vector<int32_t>(order.begin(), order.begin() + k)) << "n = " << n << ", k = " << k;
    }
  }
  std::vector<float> u(64, 0.0f);
  u[20] = std::numeric_limits<float>::quiet_NaN();
  u[21] = 5.0f;  // same block as the NaN
  std::vector<int32_t> top(1);
  TopKIndices(u.data(), 64, 1, top.data());
  EXPECT_EQ(top[0], 21);
}

TEST(SaeTest, BiasedTopKEqualsTopKOfTheSums) {
  torch::manual_seed(3);
  const at::Tensor u = torch::randn({300}), bias = torch::randn({300});
  // Ties too: the scan must keep the lower index, as TopKIndices does.
  u.narrow(0, 10, 5).fill_(2.0);
  bias.narrow(0, 10, 5).fill_(1.0);
  const at::Tensor sum = (u + bias).contiguous();
  for (int k : {0, 1, 7, 32, 300}) {
    std::vector<int32_t> want(k), got(k);
    TopKIndices(sum.data_ptr<float>(), 300, k, want.data());
    TopKIndicesBiased(u.data_ptr<float>(), bias.data_ptr<float>(), 300, k, got.data());
    EXPECT_EQ(got, want) << "k = " << k;
  }
}

// Inference folds b_lat − W_enc b_pre into the top-k scan; training keeps the
// differentiable addmm. Both must pick the same latents and values, and the
// folded bias must follow parameter updates.
TEST(SaeTest, InferenceEncodeEqualsTrainingEncode) {
  torch::manual_seed(1);
  TopKSae sae = SmallWithBiases();
  const at::Tensor h = torch::randn({9, 16});
  for (int round = 0; round < 2; ++round) {
    const auto train = sae->Encode(h);
    ASSERT_TRUE(train.pre.defined());
    TopKSae::Impl::Encoded fast;
    {
      torch::NoGradGuard no_grad;
      fast = sae->Encode(h);
    }
    EXPECT_FALSE(fast.pre.defined());
    EXPECT_TRUE(at::equal(fast.indices, train.indices)) << "round " << round;
    EXPECT_TRUE(at::allclose(fast.values, train.values.detach(), 1e-5, 1e-5)) << "round " << round;
    torch::NoGradGuard no_grad;
    sae->b_pre.add_(0.5);  // an optimizer step changes the parameters in place
    sae->w_enc.mul_(1.5);
  }
}

// The sparse backward (a no-grad GEMM picks the latents, only those are
// recomputed with grad) must give the dense autograd's gradients, and no
// gradient at all to latents no token selected.
TEST(SaeTest, SparseBackwardEqualsDenseBackward) {
  torch::manual_seed(4);
  TopKSae sae = SmallWithBiases();
  const at::Tensor h = torch::randn({12, 16});
  auto sparse = sae->Encode(h);
  (sae->Decode(sparse.values, sparse.indices) - h).pow(2).sum().backward();
  std::map<std::string, at::Tensor> want;
  for (const auto& p : sae->named_parameters()) want[p.key()] = p.value().grad().clone();
  for (auto& p : sae->parameters()) p.mutable_grad() = at::Tensor();
  // Dense reference: u over every latent with grad, gathered at the same indices.
  const at::Tensor u = at::addmm(sae->b_lat, h - sae->b_pre, sae->w_enc.t());
  const at::Tensor values = at::relu(u.gather(1, sparse.indices));
  (sae->Decode(values, sparse.indices) - h).pow(2).sum().backward();
  for (const auto& p : sae->named_parameters()) {
    EXPECT_TRUE(at::allclose(want[p.key()], p.value().grad(), 1e-5, 1e-5)) << p.key();
  }
  at::Tensor chosen = at::zeros({64}, at::kBool);
  chosen.index_put_({sparse.indices.flatten()}, true);
  EXPECT_EQ(want["w_enc"].index({chosen.logical_not()}).abs().sum().item<double>(), 0.0);
  EXPECT_GT(want["w_enc"].index({chosen}).abs().sum().item<double>(), 0.0);
}

TEST(SaeTest, DecoderConstraintKeepsUnitRowsAndOrthogonalGradients) {
  torch::manual_seed(1);
  TopKSae sae(Small());
  EXPECT_NEAR(sae->w_dec.norm(2, 1).min().item<double>(), 1.0, 1e-5);
  EXPECT_TRUE(at::allclose(sae->w_dec, sae->w_enc / sae->w_enc.norm(2, 1, true)));  // tied init
  const at::Tensor h = torch::randn({32, 16});
  auto e = sae->Encode(h);
  (sae->Decode(e.values, e.indices) - h).pow(2).mean().backward();
  sae->ConstrainDecoder();
  const at::Tensor parallel = (sae->w_dec.grad() * sae->w_dec).sum(1);
  EXPECT_LT(parallel.abs().max().item<double>(), 1e-6);
}

TEST(SaeTest, GeometricMedianResistsOutliers) {
  at::Tensor x = torch::zeros({11, 2});
  x.slice(0, 0, 10).normal_(0, 0.01);
  x[10][0] = 1000;  // one far outlier drags the mean, not the median
  const at::Tensor median = GeometricMedian(x);
  EXPECT_LT(median.norm().item<double>(), 0.1);
  EXPECT_GT(x.mean(0).norm().item<double>(), 50);
}

// Data made of 4-sparse combinations of 32 ground-truth directions: the SAE
// learns to reconstruct it, and AuxK fires once latents go dead.
TEST(SaeTest, TrainingReducesLossAndAuxKFires) {
  torch::manual_seed(2);
  const at::Tensor dictionary = torch::randn({32, 16});
  auto sample = [&](int64_t n) {
    const at::Tensor idx = torch::randint(0, 32, {n, 4});
    return (dictionary.index_select(0, idx.flatten()).view({n, 4, 16}) * torch::rand({n, 4, 1}).add(0.5))
        .sum(1);
  };
  SaeConfig c = Small();
  TopKSae sae(c);
  const at::Tensor init = sample(2048);
  {
    torch::NoGradGuard no_grad;
    sae->b_pre.copy_(GeometricMedian(init));
  }
  const double mse_scale = 1.0 / (init - init.mean(0)).pow(2).mean().item<double>();
  torch::optim::Adam optimizer(sae->parameters(), torch::optim::AdamOptions(3e-3).eps(6.25e-10));
  StepLosses first, last;
  int64_t max_dead = 0;
  double max_auxk = 0;
  for (int step = 0; step < 400; ++step) {
    const StepLosses l = TrainStep(sae, optimizer, sample(256), mse_scale);
    if (step == 0) first = l;
    last = l;
    max_dead = std::max(max_dead, l.dead);
    max_auxk = std::max(max_auxk, l.auxk);
  }
  EXPECT_LT(last.fvu, 0.5 * first.fvu);
  EXPECT_LT(last.fvu, 0.3);
  EXPECT_GT(max_dead, 0);    // with 64 latents for 32 directions some go dead...
  EXPECT_GT(max_auxk, 0.0);  // ...and the AuxK term is then active
  EXPECT_NEAR(sae->w_dec.norm(2, 1).max().item<double>(), 1.0, 1e-5);
}

TEST(SaeTest, SaveLoadRoundTripAndErrors) {
  torch::manual_seed(3);
  TopKSae sae(Small());
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/sae.safetensors";
  ASSERT_TRUE(SaveSae(sae, path).ok());
  absl::StatusOr<TopKSae> loaded = LoadSae(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(at::equal((*loaded)->w_enc, sae->w_enc));
  EXPECT_EQ((*loaded)->config().k, 4);
  EXPECT_FALSE(LoadSae("/nonexistent.safetensors").ok());
  SaeWeights bad;
  bad.d_model = 2;
  bad.n_latents = 3;
  EXPECT_NE(bad.Validate(), "");
}

}  // namespace
}  // namespace warden::sae
