#include "components/segattack/metrics.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

namespace warden::segattack {

SegMetrics::SegMetrics(int64_t num_classes, int64_t ignore_label)
    : k_(num_classes), ignore_(ignore_label), confusion_(num_classes * (num_classes + 1), 0) {}

void SegMetrics::Add(const at::Tensor& predictions, const at::Tensor& labels) {
  const at::Tensor label = labels.to(at::kCPU, at::kLong).flatten();
  at::Tensor pred = predictions.to(at::kCPU, at::kLong).flatten();
  const at::Tensor keep = (label != ignore_) & (label >= 0) & (label < k_);
  pred = pred.masked_select(keep);
  pred = at::where((pred >= 0) & (pred < k_), pred, at::full_like(pred, k_));
  const at::Tensor cells = label.masked_select(keep) * (k_ + 1) + pred;
  const at::Tensor counts = at::bincount(cells, {}, k_ * (k_ + 1)).contiguous();
  const int64_t* c = counts.data_ptr<int64_t>();
  for (size_t i = 0; i < confusion_.size(); ++i) confusion_[i] += c[i];
}

int64_t SegMetrics::labelled() const {
  int64_t n = 0;
  for (int64_t v : confusion_) n += v;
  return n;
}

double SegMetrics::PixelAccuracy() const {
  int64_t correct = 0;
  for (int64_t c = 0; c < k_; ++c) correct += confusion_[c * (k_ + 1) + c];
  const int64_t n = labelled();
  return n == 0 ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(correct) / n;
}

double SegMetrics::ForegroundAccuracy() const {
  int64_t correct = 0, n = 0;
  for (int64_t c = 1; c < k_; ++c) {
    correct += confusion_[c * (k_ + 1) + c];
    for (int64_t p = 0; p <= k_; ++p) n += confusion_[c * (k_ + 1) + p];
  }
  return n == 0 ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(correct) / n;
}

std::vector<double> SegMetrics::ClassIoU() const {
  std::vector<double> iou(k_, std::numeric_limits<double>::quiet_NaN());
  for (int64_t c = 0; c < k_; ++c) {
    int64_t row = 0, column = 0;
    for (int64_t p = 0; p <= k_; ++p) row += confusion_[c * (k_ + 1) + p];
    for (int64_t l = 0; l < k_; ++l) column += confusion_[l * (k_ + 1) + c];
    const int64_t hit = confusion_[c * (k_ + 1) + c];
    const int64_t uni = row + column - hit;
    if (uni > 0) iou[c] = static_cast<double>(hit) / uni;
  }
  return iou;
}

double SegMetrics::MeanIoU() const {
  double sum = 0;
  int n = 0;
  for (double v : ClassIoU()) {
    if (!std::isnan(v)) sum += v, ++n;
  }
  return n == 0 ? std::numeric_limits<double>::quiet_NaN() : sum / n;
}

}  // namespace warden::segattack
