#include "components/secure_learning/measure.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "components/secure_learning/bagging.h"
#include "components/secure_learning/knn.h"
#include "components/secure_learning/rdp_core.h"
#include "components/secure_learning/sisa.h"
#include "components/secure_learning/smoothed.h"
#include "components/tensor/datasets.h"
#include "components/tensor/random.h"

namespace warden::secure_learning {
namespace {

constexpr int64_t kClasses = 10;

struct Split {
  at::Tensor unlabeled, train_x, train_y, test_x, test_y;  // images N × 1 × 28 × 28
};

absl::StatusOr<Split> LoadSplit(const std::string& dataset, const MeasureConfig& c) {
  absl::StatusOr<tensor::ImageDataset> train =
      tensor::LoadImageDataset(dataset, tensor::Split::kTrain, c.unlabeled + c.labelled);
  if (!train.ok()) return train.status();
  if (train->images.size(0) < c.unlabeled + c.labelled) {
    return absl::InvalidArgumentError(absl::StrCat(dataset, " has ", train->images.size(0),
                                                   " training images, fewer than unlabeled + labelled"));
  }
  absl::StatusOr<tensor::ImageDataset> test =
      tensor::LoadImageDataset(dataset, tensor::Split::kTest, c.tests);
  if (!test.ok()) return test.status();
  return Split{train->images.slice(0, 0, c.unlabeled), train->images.slice(0, c.unlabeled),
               train->labels.slice(0, c.unlabeled), test->images, test->labels};
}

absl::StatusOr<Encoder> EncoderFor(const std::string& dataset, const at::Tensor& unlabeled,
                                   const MeasureConfig& c, MeasureResult& result,
                                   const std::function<void(const std::string&)>& say) {
  const std::string path =
      c.encoder_dir.empty()
          ? ""
          : (std::filesystem::path(c.encoder_dir) / ("encoder_" + dataset + ".safetensors"));
  if (!path.empty() && std::filesystem::exists(path)) {
    absl::StatusOr<LoadedEncoder> loaded = LoadEncoder(path);
    if (!loaded.ok()) return loaded.status();
    result.notes.push_back(absl::StrCat("encoder for ", dataset, ": loaded ", path));
    return loaded->encoder;
  }
  absl::StatusOr<Encoder> encoder = MakeEncoder(c.shape, c.seed);
  if (!encoder.ok()) return encoder.status();
  SimClrConfig simclr = c.simclr;
  simclr.seed = c.seed;
  simclr.augment.horizontal_flip = dataset == "fashion-mnist";  // digits are not mirror-symmetric
  absl::StatusOr<SimClrReport> report =
      TrainSimClr(*encoder, unlabeled, simclr, [&](int64_t epoch, int64_t step, int64_t steps, double loss) {
        if (step == steps || step % 20 == 0)
          say(absl::StrFormat("encoder %s: epoch %d/%d step %d/%d NT-Xent %.4f", dataset, epoch + 1,
                              simclr.epochs, step, steps, loss));
      });
  if (!report.ok()) return report.status();
  result.notes.push_back(
      absl::StrFormat("encoder for %s: SimCLR on %d unlabeled images, %d epochs, NT-Xent %.4f -> "
                      "%.4f, %.0f s",
                      dataset, unlabeled.size(0), simclr.epochs, report->epoch_loss.front(),
                      report->epoch_loss.back(), report->seconds));
  if (!path.empty()) {
    std::filesystem::create_directories(c.encoder_dir);
    const nlohmann::json meta = {{"dataset", dataset},
                                 {"unlabeled", unlabeled.size(0)},
                                 {"epochs", simclr.epochs},
                                 {"seed", c.seed},
                                 {"loss", report->epoch_loss}};
    if (absl::Status s = SaveEncoder(*encoder, meta, path); !s.ok()) return s;
  }
  return encoder;
}

double MeanClampedRadius(const std::vector<int64_t>& radius) {
  double sum = 0;
  for (int64_t r : radius) sum += static_cast<double>(std::max<int64_t>(r, 0));
  return radius.empty() ? 0 : sum / static_cast<double>(radius.size());
}

// Neighbour certificates → accuracy, mean certified size and radii (a wrong
// or abstaining prediction certifies nothing: -1).
MeasureRow NeighbourRow(const std::vector<NeighbourCertificate>& certs, const at::Tensor& y,
                        const std::vector<int64_t>& radii) {
  MeasureRow row;
  std::vector<int64_t> radius;
  int64_t correct = 0;
  for (size_t i = 0; i < certs.size(); ++i) {
    const bool right = certs[i].label == y[static_cast<int64_t>(i)].item<int64_t>();
    correct += right;
    radius.push_back(right ? certs[i].radius : -1);
  }
  row.accuracy = certs.empty() ? 0 : static_cast<double>(correct) / static_cast<double>(certs.size());
  row.certified = MeanClampedRadius(radius);
  row.certified_accuracy = CertifiedAccuracy(radius, radii);
  return row;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The share of inputs whose certified ℓ2 radius (-1: wrong or abstained) is at least each of `radii`.
std::vector<double> L2CertifiedAccuracy(const std::vector<double>& radius, const std::vector<double>& radii) {
  std::vector<double> out;
  for (double r : radii) {
    const auto hits = std::count_if(radius.begin(), radius.end(), [&](double x) { return x >= r; });
    out.push_back(radius.empty() ? 0 : static_cast<double>(hits) / static_cast<double>(radius.size()));
  }
  return out;
}

}  // namespace

MeasureConfig CiPreset() {
  MeasureConfig c;
  c.unlabeled = 4000;
  c.labelled = 4000;
  c.tests = 200;
  c.simclr.epochs = 1;
  c.simclr.batch_size = 128;  // 31 steps
  c.probe.steps = 150;
  c.bagging_subsamples = {50};
  c.bagging_models = 100;
  c.bagging_head.steps = 50;
  c.knn_k = {5, 25};
  c.dp_epsilons = {1, 8};
  c.dp_epochs = 3;
  c.rs_sigmas = {0.25};
  c.rs_epochs = 1;
  c.rs_tests = 20;
  c.rs_n0 = 20;
  c.rs_n = 100;
  c.sisa_shards = {1, 10};
  c.sisa_slices = {1, 4};
  c.sisa_deletions = 2;
  c.sisa_head.steps = 40;
  return c;
}

MeasureConfig FullPreset() { return MeasureConfig{}; }

absl::StatusOr<MeasureResult> RunMeasurement(const MeasureConfig& c,
                                             const std::function<void(const std::string&)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  if (c.datasets.empty() || c.unlabeled < 2 || c.labelled < 2 || c.tests < 1 || c.bagging_models < 1 ||
      c.dp_batch < 1 || c.dp_batch > c.labelled || c.dp_epochs < 1 || c.rs_epochs < 1 || c.rs_tests < 1 ||
      c.rs_n0 < 1 || c.rs_n < 1 || c.sisa_deletions < 0) {
    return absl::InvalidArgumentError(
        "need a data set, unlabeled and labelled >= 2, tests >= 1, bagging models >= 1, "
        "1 <= dp batch <= labelled, dp epochs >= 1, smoothing epochs / tests / samples >= 1, "
        "SISA deletions >= 0");
  }
  torch::NoGradGuard no_grad_outside_training;
  MeasureResult result;
  result.radii = {0, 1, 2, 5, 10, 20, 50, 100};
  result.l2_radii = {0, 0.25, 0.5, 0.75, 1.0, 1.5};
  std::map<std::string, Split> splits;
  std::map<std::string, Encoder> encoders;
  for (const std::string& dataset : c.datasets) {
    absl::StatusOr<Split> split = LoadSplit(dataset, c);
    if (!split.ok()) return split.status();
    splits.emplace(dataset, *split);
    absl::StatusOr<Encoder> encoder = [&] {
      torch::AutoGradMode grad(true);
      return EncoderFor(dataset, split->unlabeled, c, result, say);
    }();
    if (!encoder.ok()) return encoder.status();
    encoders.emplace(dataset, *encoder);
  }
  for (const std::string& dataset : c.datasets) {
    const Split& s = splits.at(dataset);
    // The arms' features of the labelled and test images.
    struct Arm {
      std::string name;
      at::Tensor train, test;
    };
    std::vector<Arm> arms;
    const at::Tensor px_train = s.train_x.flatten(1), px_test = s.test_x.flatten(1);
    const double scale = px_train.pow(2).sum(1).mean().sqrt().item<double>();
    arms.push_back({"pixels", px_train / scale, px_test / scale});
    arms.push_back({"encoder", ExtractFeatures(encoders.at(dataset), s.train_x),
                    ExtractFeatures(encoders.at(dataset), s.test_x)});
    if (c.cross_domain) {
      for (const std::string& other : c.datasets) {
        if (other == dataset) continue;
        arms.push_back({absl::StrCat("encoder (", other, ")"), ExtractFeatures(encoders.at(other), s.train_x),
                        ExtractFeatures(encoders.at(other), s.test_x)});
      }
    }
    const int64_t n = s.train_x.size(0);
    for (const Arm& arm : arms) {
      auto add = [&](MeasureRow row, const std::string& defence, const std::string& setting) {
        row.dataset = dataset;
        row.defence = defence;
        row.setting = setting;
        row.arm = arm.name;
        say(absl::StrFormat("%s / %s / %s %s: accuracy %.4f", dataset, arm.name, defence, setting,
                            row.accuracy));
        result.rows.push_back(std::move(row));
      };
      // No defence: a linear probe on all of P.
      absl::StatusOr<LinearHead> probe = TrainLinearHead(arm.train, s.train_y, kClasses, c.probe);
      if (!probe.ok()) return probe.status();
      MeasureRow probe_row;
      probe_row.accuracy = probe->Accuracy(arm.test, s.test_y);
      add(probe_row, "linear probe", "-");
      // Bagging.
      for (int64_t k : c.bagging_subsamples) {
        BaggingConfig bc;
        bc.subsample = k;
        bc.models = c.bagging_models;
        bc.head = c.bagging_head;
        bc.seed = c.seed;
        absl::StatusOr<at::Tensor> votes = BaggingVotes(arm.train, s.train_y, arm.test, kClasses, bc);
        if (!votes.ok()) return votes.status();
        const BaggingResult r = CertifyBagging(*votes, s.test_y, n, k, c.alpha);
        MeasureRow row;
        row.accuracy = r.accuracy;
        row.certified = MeanClampedRadius(r.radius);
        row.certified_accuracy = CertifiedAccuracy(r.radius, result.radii);
        add(row, "bagging", absl::StrFormat("k=%d N=%d", k, c.bagging_models));
      }
      // kNN (one distance matrix for every K) and rNN.
      absl::StatusOr<std::vector<std::vector<NeighbourCertificate>>> knn =
          CertifyKnnMany(arm.train, s.train_y, arm.test, kClasses, c.knn_k);
      if (!knn.ok()) return knn.status();
      for (size_t i = 0; i < c.knn_k.size(); ++i) {
        add(NeighbourRow((*knn)[i], s.test_y, result.radii), "kNN", absl::StrCat("K=", c.knn_k[i]));
      }
      const double rho = RhoForMedianNeighbours(arm.train, arm.test, c.rnn_median_neighbours);
      absl::StatusOr<std::vector<NeighbourCertificate>> rnn =
          CertifyRnn(arm.train, s.train_y, arm.test, kClasses, rho);
      if (!rnn.ok()) return rnn.status();
      add(NeighbourRow(*rnn, s.test_y, result.radii), "rNN",
          absl::StrFormat("rho=%.3f (median %d)", rho, c.rnn_median_neighbours));
      // DP-SGD linear heads.
      const double q = static_cast<double>(c.dp_batch) / static_cast<double>(n);
      const auto steps = static_cast<int64_t>(static_cast<double>(c.dp_epochs) / q);
      for (double eps : c.dp_epsilons) {
        const std::vector<double> orders = DefaultOrders();
        const double sigma = NoiseForEpsilon(eps, q, steps, c.dp_delta, orders, RdpConversion::kImproved);
        if (std::isnan(sigma))
          return absl::InternalError(absl::StrCat("no noise multiplier reaches epsilon ", eps));
        const PrivacySpent spent =
            DpSgdEpsilon(q, sigma, steps, c.dp_delta, orders, RdpConversion::kImproved);
        if (spent.at_boundary) {
          result.notes.push_back(
              absl::StrFormat("DP epsilon %g: the best RDP order %.1f is at the edge of the "
                              "order set",
                              eps, spent.order));
        }
        DpSgdConfig dc;
        dc.sampling_rate = q;
        dc.noise_multiplier = sigma;
        dc.clip = c.dp_clip;
        dc.steps = steps;
        dc.learning_rate = c.dp_learning_rate;
        dc.seed = c.seed;
        absl::StatusOr<LinearHead> head = TrainLinearHeadDpSgd(arm.train, s.train_y, kClasses, dc);
        if (!head.ok()) return head.status();
        MeasureRow row;
        row.accuracy = head->Accuracy(arm.test, s.test_y);
        row.certified = spent.epsilon;
        add(row, "DP-SGD",
            absl::StrFormat("eps=%g delta=%g sigma=%.2f q=%.4f steps=%d", eps, c.dp_delta, sigma, q, steps));
      }
      // SISA: accuracy at each (S, R), then seeded deletions, each retraining one shard.
      for (int64_t slices : c.sisa_slices) {
        for (int64_t shards : c.sisa_shards) {
          if (shards * slices > n) {
            result.notes.push_back(
                absl::StrFormat("SISA S=%d R=%d skipped: more slices than the %d points", shards, slices, n));
            continue;
          }
          SisaConfig sc;
          sc.shards = shards;
          sc.slices = slices;
          sc.head = c.sisa_head;
          sc.seed = c.seed;
          const auto t0 = std::chrono::steady_clock::now();
          absl::StatusOr<SisaEnsemble> sisa = SisaEnsemble::Train(arm.train, s.train_y, kClasses, sc);
          if (!sisa.ok()) return sisa.status();
          MeasureRow row;
          row.retrain_seconds = SecondsSince(t0);
          row.accuracy = sisa->Accuracy(arm.test, s.test_y);
          at::Generator gen = tensor::MakeCpuGenerator(c.seed, 43);
          const at::Tensor requests = at::randperm(n, gen).slice(0, 0, c.sisa_deletions);
          for (int64_t i = 0; i < requests.size(0); ++i) {
            absl::StatusOr<UnlearnReport> u = sisa->Unlearn(requests[i].item<int64_t>());
            if (!u.ok()) return u.status();
            row.seconds += u->seconds / static_cast<double>(requests.size(0));
            // Against retraining every shard without the point.
            const auto full = static_cast<double>(sisa->TrainingPointSteps());
            row.certified +=
                static_cast<double>(u->point_steps) / full / static_cast<double>(requests.size(0));
          }
          add(row, "SISA", absl::StrFormat("S=%d R=%d", shards, slices));
        }
      }
    }
    // Randomized smoothing: noise in input space; the pixel CNN vs the frozen
    // encoder with a noise-trained head.
    const int64_t rs_tests = std::min(c.rs_tests, s.test_x.size(0));
    for (double sigma : c.rs_sigmas) {
      for (const bool with_encoder : {false, true}) {
        const std::string arm = with_encoder ? "encoder" : "pixels";
        const auto t0 = std::chrono::steady_clock::now();
        smoothing::TrainConfig tc;
        tc.sigma = sigma;
        tc.epochs = c.rs_epochs;
        tc.seed = c.seed;
        absl::StatusOr<std::unique_ptr<smoothing::BaseClassifier>> f = [&] {
          torch::AutoGradMode grad(true);
          return TrainSmoothingBase(with_encoder ? &encoders.at(dataset) : nullptr, s.train_x, s.train_y,
                                    kClasses, tc,
                                    [&](int64_t epoch, int64_t b, int64_t batches, double loss) {
                                      if (b == batches || b % 50 == 0)
                                        say(absl::StrFormat(
                                            "%s / %s / RS sigma=%g: noise training epoch %d/%d "
                                            "batch %d/%d loss %.4f",
                                            dataset, arm, sigma, epoch + 1, tc.epochs, b, batches, loss));
                                    });
        }();
        if (!f.ok()) return f.status();
        smoothing::SmoothingOptions o;
        o.sigma = sigma;
        o.n0 = c.rs_n0;
        o.n = c.rs_n;
        o.alpha = c.alpha;
        o.seed = c.seed;
        absl::StatusOr<SmoothedEvaluation> e =
            EvaluateSmoothed(**f, s.test_x.slice(0, 0, rs_tests), s.test_y.slice(0, 0, rs_tests), o,
                             [&](int64_t done, int64_t total) {
                               if (done == total || done % 25 == 0)
                                 say(absl::StrFormat("%s / %s / RS sigma=%g: certified %d/%d", dataset, arm,
                                                     sigma, done, total));
                             });
        if (!e.ok()) return e.status();
        MeasureRow row;
        row.dataset = dataset;
        row.defence = "randomized smoothing";
        row.setting = absl::StrFormat("sigma=%g n0=%d n=%d tests=%d", sigma, c.rs_n0, c.rs_n, rs_tests);
        row.arm = arm;
        row.accuracy = e->accuracy;
        row.certified = e->mean_radius;
        row.certified_accuracy = L2CertifiedAccuracy(e->radius, result.l2_radii);
        row.seconds = SecondsSince(t0);
        say(absl::StrFormat("%s / %s / RS sigma=%g: accuracy %.4f, mean radius %.3f", dataset, arm, sigma,
                            row.accuracy, row.certified));
        result.rows.push_back(std::move(row));
      }
    }
  }
  result.seconds = SecondsSince(start);
  return result;
}

}  // namespace warden::secure_learning
