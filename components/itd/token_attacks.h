// Text-side versions of two published attacks on concept erasure that need
// only the text encoder (issue 19, item 4), aimed at the ItD gate:
//
//  - MMA-Diffusion (Yang et al., CVPR 2024), its textual attack: a greedy
//    coordinate-gradient token search, with the concept's own tokens banned,
//    for a prompt whose text embedding matches a target prompt's (we match the
//    pooled embedding, by cosine).
//  - Ring-A-Bell (Tsai et al., ICLR 2024): a concept vector — the mean
//    pooled-embedding difference between prompts with the concept and the same
//    prompts without it — added with strength η to a concept-free prompt's
//    embedding; a genetic algorithm searches for tokens whose embedding
//    matches that point.
//
// Both search over token ids; the caller judges the text a user would type
// (the ids decoded and tokenized again). The searches are deterministic in
// their seed.
#ifndef WARDEN_COMPONENTS_ITD_TOKEN_ATTACKS_H_
#define WARDEN_COMPONENTS_ITD_TOKEN_ATTACKS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "components/clip/text_model.h"
#include "components/clip/tokenizer.h"

namespace warden::itd {

struct TokenSearchConfig {
  int64_t length = 12;    // adversarial tokens between BOS and EOS
  int64_t steps = 40;     // GCG iterations / GA generations
  int64_t batch = 64;     // GCG candidates per step / GA population
  int64_t top_k = 32;     // GCG: best tokens per position by the gradient
  double mutation = 0.1;  // GA: per-token mutation probability
  double eta = 3.0;       // Ring-A-Bell: concept strength
  uint64_t seed = 0;
};

struct TokenSearchResult {
  std::vector<int> ids;     // the adversarial tokens (no BOS/EOS)
  double similarity = 0;    // cosine of their pooled embedding to the target
  int64_t evaluations = 0;  // prompts the search ran through the encoder
};

// Tokens a found prompt can be typed with: whole words (they decode with a
// trailing space) that tokenize back to themselves, so a sequence of them
// survives the decode → tokenize round trip a user's text goes through.
std::vector<int64_t> WholeWordTokens(const clip::ClipTokenizer& tokenizer, int64_t vocab_size);

// `candidates` minus BOS/EOS and the tokens of `banned` texts (each text, and
// each of its words, tokenized): the concept's own words are off limits.
std::vector<int64_t> AllowedTokens(const clip::ClipTokenizer& tokenizer,
                                   const std::vector<int64_t>& candidates,
                                   const std::vector<std::string>& banned);

// Unit pooled embeddings [B, width] of token ids [B, L] (each row BOS … EOS,
// padded with EOS).
at::Tensor PooledOfIds(clip::ClipTextModel& model, const at::Tensor& ids);
// Unit pooled embeddings [B, width] of token rows (BOS, tokens, EOS).
at::Tensor PooledOfTokens(clip::ClipTextModel& model, const std::vector<std::vector<int>>& rows);
// Unit pooled embeddings [B, width] of prompts (tokenized, 77-token padding).
at::Tensor PooledOfPrompts(clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer,
                           const std::vector<std::string>& prompts);

// MMA-Diffusion's search: maximise cos(pooled(tokens), target) by greedy
// coordinate gradient (the gradient through a one-hot token choice picks
// top_k tokens per position; `batch` random single swaps are tried; the best
// replaces the current prompt).
absl::StatusOr<TokenSearchResult> MmaTokenSearch(clip::ClipTextModel& model, const at::Tensor& target,
                                                 const std::vector<int64_t>& allowed,
                                                 const TokenSearchConfig& config);

// Ring-A-Bell's concept vector: mean of pooled(with[i]) − pooled(without[i]).
absl::StatusOr<at::Tensor> ConceptVector(clip::ClipTextModel& model, const clip::ClipTokenizer& tokenizer,
                                         const std::vector<std::string>& with,
                                         const std::vector<std::string>& without);

// Ring-A-Bell's search: a genetic algorithm (elitist selection of the best
// quarter, uniform crossover, mutation) maximising cos(pooled(tokens), target).
absl::StatusOr<TokenSearchResult> GeneticTokenSearch(clip::ClipTextModel& model, const at::Tensor& target,
                                                     const std::vector<int64_t>& allowed,
                                                     const TokenSearchConfig& config);

}  // namespace warden::itd

#endif  // WARDEN_COMPONENTS_ITD_TOKEN_ATTACKS_H_
