// Segmentation metrics accumulated over images (docs/specs/cr_attack.md §4):
// pixel accuracy = Σ correct / Σ labelled, foreground accuracy over labelled
// pixels whose label is not background (0), and mIoU = the mean over classes
// whose union is non-empty of |pred ∩ label| / |pred ∪ label|. Pixels labelled
// `ignore_label` count nowhere. Lower is a stronger attack.
#ifndef WARDEN_COMPONENTS_SEGATTACK_METRICS_H_
#define WARDEN_COMPONENTS_SEGATTACK_METRICS_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace warden::segattack {

class SegMetrics {
 public:
  explicit SegMetrics(int64_t num_classes, int64_t ignore_label = 255);

  // predictions and labels: N × H × W integer class maps. Predictions outside
  // [0, K) are counted as wrong for their pixel's label.
  void Add(const at::Tensor& predictions, const at::Tensor& labels);

  double PixelAccuracy() const;
  double ForegroundAccuracy() const;
  double MeanIoU() const;
  std::vector<double> ClassIoU() const;  // NaN for a class with an empty union
  int64_t labelled() const;
  // K × (K + 1) counts: row = label, column = prediction (the last: out of range).
  const std::vector<int64_t>& confusion() const { return confusion_; }

 private:
  int64_t k_, ignore_;
  std::vector<int64_t> confusion_;
};

}  // namespace warden::segattack

#endif  // WARDEN_COMPONENTS_SEGATTACK_METRICS_H_
