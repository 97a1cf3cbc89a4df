// TopK sparse-autoencoder inference (ItD spec §3), portable: C++17 standard
// library only, so the browser demo runs the same code as the native build.
//
//   encode: u = W_enc (h − b_pre) + b_lat; keep the k largest entries of u,
//           ReLU them, zero the rest (top-k is taken before the ReLU)
//   decode: ĥ = Σ_j z_j d_j + b_pre, with d_j the unit-norm decoder directions
#ifndef WARDEN_COMPONENTS_SAE_SAE_CORE_H_
#define WARDEN_COMPONENTS_SAE_SAE_CORE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace warden::sae {

struct SaeWeights {
  int d_model = 0;
  int n_latents = 0;
  std::vector<float> w_enc;  // n_latents × d_model, row j is latent j's encoder row
  std::vector<float> w_dec;  // n_latents × d_model, row j is decoder direction d_j
  std::vector<float> b_pre;  // d_model
  std::vector<float> b_lat;  // n_latents

  // "" if the sizes agree, else what is wrong.
  std::string Validate() const;
};

struct SparseCode {
  std::vector<int32_t> indices;  // latent ids, by descending pre-activation
  std::vector<float> values;     // ReLU'd values (may be 0 when a kept entry was negative)
};

// The indices of the k largest of u[0..n) (0 <= k <= n), largest first, ties
// by lower index: one pass with a k-entry min-heap, O(n + k log k · hits).
void TopKIndices(const float* u, int n, int k, int32_t* indices);

// The same over u[j] + bias[j] (as float), without writing the sums: the
// LibTorch encode folds its biases into this scan instead of a pass over the
// whole [tokens, n_latents] GEMM result.
void TopKIndicesBiased(const float* u, const float* bias, int n, int k, int32_t* indices);

// The top-k code of one activation h (d_model floats). k is clamped to n_latents.
SparseCode EncodeTopK(const SaeWeights& w, const float* h, int k);

// All pre-activations u (n_latents floats) of h.
std::vector<float> PreActivations(const SaeWeights& w, const float* h);

// The same for `tokens` activations (tokens × d_model, row-major) at once:
// tokens × n_latents floats, bit-equal to PreActivations row by row, but each
// encoder row is read once for all tokens (per token, the whole encoder would
// stream through memory again: 8 MB per token at d = 256, n = 8192).
std::vector<float> PreActivationsBatch(const SaeWeights& w, const float* h, int tokens);

// The top-k codes of `tokens` activations, equal to EncodeTopK on each.
std::vector<SparseCode> EncodeTopKBatch(const SaeWeights& w, const float* h, int tokens, int k);

// ĥ (d_model floats) of a code.
std::vector<float> Decode(const SaeWeights& w, const SparseCode& code);

}  // namespace warden::sae

#endif  // WARDEN_COMPONENTS_SAE_SAE_CORE_H_
