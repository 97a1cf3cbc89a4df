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
#include "components/tensor/datasets.h"

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
      c.dp_batch < 1 || c.dp_batch > c.labelled || c.dp_epochs < 1) {
    return absl::InvalidArgumentError(
        "need a data set, unlabeled and labelled >= 2, tests >= 1, bagging models >= 1, "
        "1 <= dp batch <= labelled, dp epochs >= 1");
  }
  torch::NoGradGuard no_grad_outside_training;
  MeasureResult result;
  result.radii = {0, 1, 2, 5, 10, 20, 50, 100};
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
      // kNN and rNN.
      for (int64_t k : c.knn_k) {
        absl::StatusOr<std::vector<NeighbourCertificate>> certs =
            CertifyKnn(arm.train, s.train_y, arm.test, kClasses, k);
        if (!certs.ok()) return certs.status();
        add(NeighbourRow(*certs, s.test_y, result.radii), "kNN", absl::StrCat("K=", k));
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
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace warden::secure_learning
