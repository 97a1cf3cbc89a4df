// CLIP's byte-level BPE tokenizer (OpenAI's SimpleTokenizer), portable: C++17
// standard library only, so the browser build can tokenize too.
//
// Encode(text) = BPE of each piece of
//   lower(whitespace_clean(html_unescape(html_unescape(text)).strip()))
// split by CLIP's pattern
//   <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// over UTF-8 bytes mapped to printable code points. One step of OpenAI's
// pipeline is left out: ftfy.fix_text (mojibake repair, quote uncurling, NFC),
// which has no C++ counterpart; text that ftfy would change (mojibake, curly
// quotes, ligatures, full-width forms, decomposed accents) may tokenize
// differently from OpenAI's, all other text identically (tokenizer_test checks
// 1,400 prompts against a reference).
#ifndef WARDEN_COMPONENTS_CLIP_TOKENIZER_H_
#define WARDEN_COMPONENTS_CLIP_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace warden::clip {

inline constexpr int kStartOfText = 49406;  // BOS
inline constexpr int kEndOfText = 49407;    // EOS
inline constexpr int kContextLength = 77;

// Python's html.unescape (HTML5 named and numeric character references).
std::string HtmlUnescape(std::string_view text);

class ClipTokenizer {
 public:
  // Builds the tokenizer from the text of bpe_simple_vocab_16e6.txt (already
  // gunzipped). Returns nullptr and sets `error` if the merges are malformed.
  static std::unique_ptr<ClipTokenizer> FromMerges(std::string_view merges_text, std::string* error);

  // Token ids of `utf8` without BOS/EOS. Invalid UTF-8 bytes become U+FFFD.
  std::vector<int> Encode(std::string_view utf8) const;

  // Text of `ids` (BOS/EOS and unknown ids skipped), as CLIP's decode: word ends
  // become spaces; invalid byte sequences become U+FFFD.
  std::string Decode(const std::vector<int>& ids) const;

  // BOS + tokens + EOS, truncated to `context_length` (the last kept token is
  // then EOS), unpadded.
  std::vector<int> EncodeWithMarkers(std::string_view utf8, int context_length = kContextLength) const;

  // The token string of an id ("a</w>", "<|endoftext|>"), or "" if out of range.
  const std::string& TokenText(int id) const;
  int vocab_size() const { return static_cast<int>(vocab_.size()); }

 private:
  ClipTokenizer() = default;
  // BPE of one pre-token (its bytes already mapped to code points, UTF-8).
  std::vector<int> Bpe(const std::string& mapped) const;

  std::vector<std::string> vocab_;                       // id -> token text
  std::unordered_map<std::string, int> encoder_;         // token text -> id
  std::unordered_map<std::string, int> merge_ranks_;     // "left right" -> rank
  std::string byte_encoder_[256];                        // byte -> UTF-8 of its code point
  std::unordered_map<std::string, int> byte_decoder_;    // UTF-8 of code point -> byte
  mutable std::unordered_map<std::string, std::vector<int>> cache_;
};

enum class Padding {
  kToContext,  // pad every prompt to context_length with EOS (Stable Diffusion 1.x)
  kToLongest,  // pad to the longest prompt in the batch with EOS (official ItD code)
};

struct TokenBatch {
  std::vector<std::vector<int>> ids;             // [batch][length]
  std::vector<std::vector<int>> attention_mask;  // 1 for real tokens (BOS..EOS), 0 for padding
  std::vector<int> eos_position;                 // index of each prompt's first EOS
};

TokenBatch TokenizeBatch(const ClipTokenizer& tokenizer, const std::vector<std::string>& prompts,
                         Padding padding, int context_length = kContextLength);

}  // namespace warden::clip

#endif  // WARDEN_COMPONENTS_CLIP_TOKENIZER_H_
