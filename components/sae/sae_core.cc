#include "components/sae/sae_core.h"

#include <algorithm>
#include <numeric>

namespace warden::sae {

std::string SaeWeights::Validate() const {
  if (d_model < 1 || n_latents < 1) return "d_model and n_latents must be >= 1";
  const size_t n = static_cast<size_t>(n_latents), d = static_cast<size_t>(d_model);
  if (w_enc.size() != n * d) return "w_enc must hold n_latents * d_model floats";
  if (w_dec.size() != n * d) return "w_dec must hold n_latents * d_model floats";
  if (b_pre.size() != d) return "b_pre must hold d_model floats";
  if (b_lat.size() != n) return "b_lat must hold n_latents floats";
  return "";
}

std::vector<float> PreActivations(const SaeWeights& w, const float* h) {
  const int d = w.d_model;
  std::vector<float> centered(d);
  for (int i = 0; i < d; ++i) centered[i] = h[i] - w.b_pre[i];
  std::vector<float> u(w.n_latents);
  for (int j = 0; j < w.n_latents; ++j) {
    const float* row = w.w_enc.data() + static_cast<size_t>(j) * d;
    float sum = 0;
    for (int i = 0; i < d; ++i) sum += row[i] * centered[i];
    u[j] = sum + w.b_lat[j];
  }
  return u;
}

void TopKIndices(const float* u, int n, int k, int32_t* indices) {
  if (k <= 0) return;
  // "a ranks before b": larger value, or equal value and lower index.
  const auto before = [u](int32_t a, int32_t b) { return u[a] != u[b] ? u[a] > u[b] : a < b; };
  // heap[0] is the worst of the k kept so far (a min-heap under `before`).
  int32_t* heap = indices;
  int size = 0;
  int32_t j = 0;
  for (; j < n && size < k; ++j) {
    heap[size++] = j;
    std::push_heap(heap, heap + size, before);
  }
  float worst = u[heap[0]];
  for (; j < n; ++j) {
    if (u[j] > worst) {  // a later j never wins a tie
      std::pop_heap(heap, heap + size, before);
      heap[size - 1] = j;
      std::push_heap(heap, heap + size, before);
      worst = u[heap[0]];
    }
  }
  std::sort_heap(heap, heap + size, before);  // best first
}

SparseCode EncodeTopK(const SaeWeights& w, const float* h, int k) {
  const std::vector<float> u = PreActivations(w, h);
  k = std::max(0, std::min(k, w.n_latents));
  SparseCode code;
  code.indices.resize(k);
  TopKIndices(u.data(), w.n_latents, k, code.indices.data());
  for (int32_t j : code.indices) code.values.push_back(std::max(0.0f, u[j]));
  return code;
}

std::vector<float> Decode(const SaeWeights& w, const SparseCode& code) {
  const int d = w.d_model;
  std::vector<float> out(w.b_pre.begin(), w.b_pre.end());
  for (size_t i = 0; i < code.indices.size() && i < code.values.size(); ++i) {
    const int32_t j = code.indices[i];
    if (j < 0 || j >= w.n_latents || code.values[i] == 0) continue;
    const float* row = w.w_dec.data() + static_cast<size_t>(j) * d;
    for (int t = 0; t < d; ++t) out[t] += code.values[i] * row[t];
  }
  return out;
}

}  // namespace warden::sae
