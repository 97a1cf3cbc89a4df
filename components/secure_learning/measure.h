// The study's measurement (docs/specs/secure_learning.md §7): every defence
// with and without a self-supervised encoder on MNIST and Fashion-MNIST, in
// one table. Per data set the training images split into U (unlabeled, the
// encoder's pre-training data) and P (labelled, the private / poisonable set,
// disjoint from U); the arms are
//   pixels          raw pixels, flattened and scaled by one global constant so
//                   their mean norm is 1 (neither kNN's order nor the linear
//                   model class changes);
//   encoder         L2-normalised SimCLR features of an encoder pre-trained on
//                   this data set's U;
//   encoder (other) features of the encoder pre-trained on the other data
//                   set's U (the cross-domain arm).
// Defences: a linear probe (no defence), bagging (certified poisoning size),
// kNN and rNN (certified poisoning size), DP-SGD linear heads at a grid of ε,
// randomized smoothing (certified ℓ2 radius; noise in input space: a pixel CNN
// vs the frozen encoder with a noise-trained head, smoothed.h) and SISA
// unlearning (accuracy vs shards, cost of a deletion vs a full retrain).
#ifndef WARDEN_COMPONENTS_SECURE_LEARNING_MEASURE_H_
#define WARDEN_COMPONENTS_SECURE_LEARNING_MEASURE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "components/secure_learning/encoder.h"
#include "components/secure_learning/linear.h"

namespace warden::secure_learning {

struct MeasureConfig {
  std::vector<std::string> datasets = {"mnist", "fashion-mnist"};
  int64_t unlabeled = 30000;  // U = train[0, U)
  int64_t labelled = 30000;   // P = train[U, U + P)
  int64_t tests = 1000;       // the first test images
  EncoderShape shape;
  SimClrConfig simclr;
  std::string encoder_dir;  // encoder_<dataset>.safetensors: loaded if there, else trained and saved
  bool cross_domain = true;
  LinearConfig probe{.steps = 300, .learning_rate = 0.05, .weight_decay = 1e-5};
  std::vector<int64_t> bagging_subsamples = {25, 50, 100};
  int64_t bagging_models = 1000;
  LinearConfig bagging_head{.steps = 100, .learning_rate = 0.05, .weight_decay = 1e-4};
  double alpha = 1e-3;
  std::vector<int64_t> knn_k = {1, 5, 25, 101, 201};
  int64_t rnn_median_neighbours = 50;
  std::vector<double> dp_epsilons = {0.5, 1, 2, 4, 8};
  double dp_delta = 1e-5;
  int64_t dp_batch = 256;  // expected batch: q = batch / P
  int64_t dp_epochs = 20;
  double dp_clip = 1.0;
  double dp_learning_rate = 2.0;
  // Randomized smoothing (E3), on the first rs_tests test images, pixels and
  // this data set's encoder only.
  std::vector<double> rs_sigmas = {0.25, 0.5};
  int64_t rs_epochs = 5;  // noise training of the pixel CNN / the encoder's head
  int64_t rs_tests = 300;
  int64_t rs_n0 = 100, rs_n = 1000;
  // SISA (E5): every (shards, slices) pair, sisa_deletions seeded requests each.
  std::vector<int64_t> sisa_shards = {1, 5, 10, 20, 50, 100};
  std::vector<int64_t> sisa_slices = {1, 4};
  int64_t sisa_deletions = 5;
  LinearConfig sisa_head{.steps = 100, .learning_rate = 0.05, .weight_decay = 1e-4};
  uint64_t seed = 0;
};

// The CI preset (under two minutes on 2 cores) and the full one (spec §7).
MeasureConfig CiPreset();
MeasureConfig FullPreset();

struct MeasureRow {
  std::string dataset, defence, setting, arm;
  double accuracy = 0;  // clean accuracy of the defended classifier
  // Bagging / kNN / rNN: mean max(r*, 0) over test inputs; DP: the ε spent;
  // RS: the mean certified ℓ2 radius (0 when wrong or abstaining); SISA: the
  // compute of one deletion as a share of a full retrain (point-steps).
  double certified = 0;
  // At MeasureResult::radii (bagging, kNN, rNN) or ::l2_radii (RS).
  std::vector<double> certified_accuracy;
  // Wall time: SISA's mean per deletion and of a full retrain; else the
  // defence's training plus certification. Not deterministic.
  double seconds = 0, retrain_seconds = 0;
};

struct MeasureResult {
  std::vector<int64_t> radii;    // poisoning sizes where certified accuracy is reported
  std::vector<double> l2_radii;  // ℓ2 radii for randomized smoothing
  std::vector<MeasureRow> rows;
  std::vector<std::string> notes;  // encoder training, accountant warnings
  double seconds = 0;
};

// Runs everything; `progress` (if set) gets a line per stage.
absl::StatusOr<MeasureResult> RunMeasurement(const MeasureConfig& config,
                                             const std::function<void(const std::string&)>& progress = {});

}  // namespace warden::secure_learning

#endif  // WARDEN_COMPONENTS_SECURE_LEARNING_MEASURE_H_
