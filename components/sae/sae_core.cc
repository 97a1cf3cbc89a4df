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

namespace {

// a · b with eight independent partial sums (so compilers can use SIMD without
// reassociating: the order is fixed, and the same wherever Dot is called).
inline float Dot(const float* a, const float* b, int d) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= d; i += 8) {
    for (int l = 0; l < 8; ++l) lane[l] += a[i + l] * b[i + l];
  }
  for (; i < d; ++i) lane[i % 8] += a[i] * b[i];
  return ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
}

}  // namespace

std::vector<float> PreActivations(const SaeWeights& w, const float* h) {
  return PreActivationsBatch(w, h, 1);
}

std::vector<float> PreActivationsBatch(const SaeWeights& w, const float* h, int tokens) {
  const int d = w.d_model, n = w.n_latents;
  std::vector<float> centered(static_cast<size_t>(tokens) * d);
  for (int t = 0; t < tokens; ++t) {
    for (int i = 0; i < d; ++i)
      centered[static_cast<size_t>(t) * d + i] = h[static_cast<size_t>(t) * d + i] - w.b_pre[i];
  }
  std::vector<float> u(static_cast<size_t>(tokens) * n);
  // Row-outer: each encoder row is read from memory once for every token.
  for (int j = 0; j < n; ++j) {
    const float* row = w.w_enc.data() + static_cast<size_t>(j) * d;
    for (int t = 0; t < tokens; ++t) {
      u[static_cast<size_t>(t) * n + j] =
          Dot(row, centered.data() + static_cast<size_t>(t) * d, d) + w.b_lat[j];
    }
  }
  return u;
}

namespace {

// The heap scan of TopKIndices over value(j), j in [0, n).
template <typename Value>
void TopKBy(const Value& value, int n, int k, int32_t* indices) {
  if (k <= 0) return;
  // "a ranks before b": larger value, or equal value and lower index.
  const auto before = [&value](int32_t a, int32_t b) {
    const float va = value(a), vb = value(b);
    return va != vb ? va > vb : a < b;
  };
  // heap[0] is the worst of the k kept so far (a min-heap under `before`).
  int32_t* heap = indices;
  int size = 0;
  int32_t j = 0;
  for (; j < n && size < k; ++j) {
    heap[size++] = j;
    std::push_heap(heap, heap + size, before);
  }
  float worst = value(heap[0]);
  for (; j < n; ++j) {
    if (value(j) > worst) {  // a later j never wins a tie
      std::pop_heap(heap, heap + size, before);
      heap[size - 1] = j;
      std::push_heap(heap, heap + size, before);
      worst = value(heap[0]);
    }
  }
  std::sort_heap(heap, heap + size, before);  // best first
}

}  // namespace

void TopKIndices(const float* u, int n, int k, int32_t* indices) {
  TopKBy([u](int32_t j) { return u[j]; }, n, k, indices);
}

void TopKIndicesBiased(const float* u, const float* bias, int n, int k, int32_t* indices) {
  TopKBy([u, bias](int32_t j) { return u[j] + bias[j]; }, n, k, indices);
}

SparseCode EncodeTopK(const SaeWeights& w, const float* h, int k) { return EncodeTopKBatch(w, h, 1, k)[0]; }

std::vector<SparseCode> EncodeTopKBatch(const SaeWeights& w, const float* h, int tokens, int k) {
  const std::vector<float> u = PreActivationsBatch(w, h, tokens);
  k = std::max(0, std::min(k, w.n_latents));
  std::vector<SparseCode> codes(tokens);
  for (int t = 0; t < tokens; ++t) {
    const float* ut = u.data() + static_cast<size_t>(t) * w.n_latents;
    SparseCode& code = codes[t];
    code.indices.resize(k);
    TopKIndices(ut, w.n_latents, k, code.indices.data());
    for (int32_t j : code.indices) code.values.push_back(std::max(0.0f, ut[j]));
  }
  return codes;
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
