#include "components/smoothing/sequential_core.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "components/smoothing/stats_core.h"

namespace warden::smoothing {
namespace {

// σ Φ⁻¹(lower) if lower > 1/2, else 0.
double RadiusOf(double lower, double sigma) { return lower > 0.5 ? sigma * NormalQuantile(lower) : 0.0; }

}  // namespace

bool MakeDoublingSchedule(int64_t first, int64_t budget, int64_t granule, double alpha,
                          SequentialSchedule* schedule, std::string* error) {
  if (first < 1 || budget < first || granule < 1 || !(alpha > 0 && alpha < 1)) {
    if (error != nullptr) {
      *error = "need 1 <= first <= budget, a batch size >= 1 and alpha in (0, 1), got first=" +
               std::to_string(first) + " budget=" + std::to_string(budget) +
               " batch=" + std::to_string(granule) + " alpha=" + std::to_string(alpha);
    }
    return false;
  }
  schedule->checkpoints.clear();
  schedule->alphas.clear();
  for (int64_t n = first; n < budget; n *= 2) {
    const int64_t rounded = (n + granule - 1) / granule * granule;
    if (rounded >= budget) break;
    if (schedule->checkpoints.empty() || rounded > schedule->checkpoints.back()) {
      schedule->checkpoints.push_back(rounded);
    }
    if (n > budget / 2) break;  // n * 2 would pass the budget (and could overflow)
  }
  schedule->checkpoints.push_back(budget);
  const size_t k = schedule->checkpoints.size();
  if (k == 1) {
    schedule->alphas = {alpha};
  } else {
    schedule->alphas.assign(k - 1, alpha / 2 / static_cast<double>(k - 1));
    schedule->alphas.push_back(alpha / 2);
  }
  return true;
}

SequentialCertifier::SequentialCertifier(Mode mode, SequentialSchedule schedule, int top_class, double sigma,
                                         double target)
    : mode_(mode), schedule_(std::move(schedule)), top_class_(top_class), sigma_(sigma), target_(target) {
  // No class, no checkpoints or a bad σ: nothing can be certified.
  if (top_class_ < 0 || schedule_.checkpoints.empty() ||
      schedule_.alphas.size() != schedule_.checkpoints.size() || !(sigma_ > 0)) {
    done_ = true;
    result_.decided = mode_ == Mode::kAdaptive;
  }
}

SequentialCertifier SequentialCertifier::AtRadius(SequentialSchedule schedule, int top_class, double sigma,
                                                  double radius) {
  SequentialCertifier c(Mode::kRadius, std::move(schedule), top_class, sigma,
                        sigma > 0 ? NormalCdf(radius / sigma) : 1.0);
  c.radius_ = radius;
  if (!(radius >= 0)) {  // NaN or negative: refuse to certify
    c.done_ = true;
    c.result_.decided = false;
  }
  return c;
}

SequentialCertifier SequentialCertifier::Adaptive(SequentialSchedule schedule, int top_class, double sigma,
                                                  double tolerance) {
  return SequentialCertifier(Mode::kAdaptive, std::move(schedule), top_class, sigma,
                             tolerance >= 0 ? tolerance : 0.0);
}

bool SequentialCertifier::Reachable(int64_t top_count, int64_t n) const {
  for (size_t j = next_ + 1; j < schedule_.checkpoints.size(); ++j) {
    const int64_t m = schedule_.checkpoints[j];
    if (ClopperPearsonLower(top_count + (m - n), m, schedule_.alphas[j]) > target_) return true;
  }
  return false;
}

int64_t SequentialCertifier::next_samples() const {
  return done_ ? result_.samples : schedule_.checkpoints[next_];
}

void SequentialCertifier::Observe(int64_t top_count) {
  if (done_) return;
  const int64_t n = schedule_.checkpoints[next_];
  const double alpha = schedule_.alphas[next_];
  const bool last = next_ + 1 == schedule_.checkpoints.size();
  result_.samples = n;
  result_.checkpoints = static_cast<int>(next_ + 1);
  if (top_count < 0 || top_count > n) {  // a caller's bug: never certify on it
    done_ = true;
    result_ = SequentialResult{kAbstain, 0.0, n, static_cast<int>(next_ + 1), false};
    return;
  }
  const double lower = ClopperPearsonLower(top_count, n, alpha);
  const double upper = ClopperPearsonUpper(top_count, n, alpha);
  if (mode_ == Mode::kRadius) {
    if (lower > target_) {
      result_.predicted_class = top_class_;
      result_.radius = radius_;
      result_.decided = true;
      done_ = true;
    } else if (upper <= target_) {
      result_.decided = true;
      done_ = true;
    } else if (last || !Reachable(top_count, n)) {
      result_.decided = false;
      done_ = true;
    }
  } else {
    const double radius = RadiusOf(lower, sigma_);
    if (radius > result_.radius) {
      result_.radius = radius;
      result_.predicted_class = top_class_;
    }
    if (last || upper <= 0.5) {
      done_ = true;
    } else {
      // Forecast: the same empirical rate at the next checkpoint's n and α.
      const int64_t next_n = schedule_.checkpoints[next_ + 1];
      const double rate = static_cast<double>(top_count) / static_cast<double>(n);
      const auto next_k = static_cast<int64_t>(std::llround(rate * static_cast<double>(next_n)));
      const double forecast = RadiusOf(
          ClopperPearsonLower(std::min(next_k, next_n), next_n, schedule_.alphas[next_ + 1]), sigma_);
      if (forecast <= result_.radius * (1 + target_)) done_ = true;
    }
  }
  ++next_;
}

}  // namespace warden::smoothing
