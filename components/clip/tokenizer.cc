#include "components/clip/tokenizer.h"

#include <algorithm>
#include <climits>

#include "components/clip/unicode.h"

namespace warden::clip {
namespace {

struct NamedReference {
  const char* name;
  const char* text;
};

struct RemappedReference {
  char32_t number;
  const char* text;
};

#include "components/clip/html_tables.inc"

const std::unordered_map<std::string, const char*>& NamedReferences() {
  static const auto* map = [] {
    auto* m = new std::unordered_map<std::string, const char*>();
    for (const NamedReference& r : kNamedReferences) (*m)[r.name] = r.text;
    return m;
  }();
  return *map;
}

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiHex(char c) {
  return IsAsciiDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// A numeric reference's replacement, as Python's html.unescape.
std::string NumericReference(uint64_t number) {
  for (const RemappedReference& r : kRemappedReferences) {
    if (r.number == number) return r.text;
  }
  if ((number >= 0xD800 && number <= 0xDFFF) || number > 0x10FFFF) return "\xEF\xBF\xBD";
  if (std::binary_search(std::begin(kDroppedCodepoints), std::end(kDroppedCodepoints),
                         static_cast<char32_t>(number))) {
    return "";
  }
  return EncodeUtf8(std::u32string(1, static_cast<char32_t>(number)));
}

// OpenAI's bytes_to_unicode: printable Latin-1 bytes map to themselves, the
// rest to 256, 257, ... in byte order.
std::vector<char32_t> ByteCodepoints() {
  std::vector<char32_t> cps(256, 0);
  std::vector<bool> printable(256, false);
  for (int b = '!'; b <= '~'; ++b) printable[b] = true;
  for (int b = 0xA1; b <= 0xAC; ++b) printable[b] = true;
  for (int b = 0xAE; b <= 0xFF; ++b) printable[b] = true;
  char32_t next = 256;
  for (int b = 0; b < 256; ++b) cps[b] = printable[b] ? static_cast<char32_t>(b) : next++;
  return cps;
}

// The vocabulary's first 256 entries in OpenAI's order: printable bytes first.
std::vector<int> ByteOrder() {
  std::vector<int> order;
  for (int b = '!'; b <= '~'; ++b) order.push_back(b);
  for (int b = 0xA1; b <= 0xAC; ++b) order.push_back(b);
  for (int b = 0xAE; b <= 0xFF; ++b) order.push_back(b);
  for (int b = 0; b < 256; ++b) {
    if (std::find(order.begin(), order.end(), b) == order.end()) order.push_back(b);
  }
  return order;
}

// CLIP's pre-tokenization pattern over lower-cased code points: at each
// position the first alternative that matches wins, as in the regex
//   <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
std::vector<std::u32string> SplitPieces(const std::u32string& text) {
  static const std::u32string kLiterals[] = {U"<|startoftext|>", U"<|endoftext|>", U"'s", U"'t",
                                             U"'re", U"'ve", U"'m", U"'ll", U"'d"};
  std::vector<std::u32string> pieces;
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const std::u32string* literal = nullptr;
    for (const std::u32string& l : kLiterals) {
      if (text.compare(i, l.size(), l) == 0) {
        literal = &l;
        break;
      }
    }
    if (literal != nullptr) {
      pieces.push_back(*literal);
      i += literal->size();
      continue;
    }
    const char32_t c = text[i];
    size_t j = i + 1;
    if (IsLetter(c)) {
      while (j < n && IsLetter(text[j])) ++j;
    } else if (IsSpace(c)) {
      i = j;  // whitespace only separates pieces
      continue;
    } else if (!IsNumber(c)) {
      while (j < n && !IsSpace(text[j]) && !IsLetter(text[j]) && !IsNumber(text[j])) ++j;
    }
    pieces.push_back(text.substr(i, j - i));
    i = j;
  }
  return pieces;
}

std::u32string CollapseWhitespace(const std::u32string& text) {
  std::u32string out;
  bool pending_space = false;
  for (char32_t c : text) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out.push_back(U' ');
      pending_space = false;
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string HtmlUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '&') {
      out.push_back(text[i++]);
      continue;
    }
    const size_t start = i + 1;
    if (start < text.size() && text[start] == '#') {
      size_t j = start + 1;
      const bool hex = j < text.size() && (text[j] == 'x' || text[j] == 'X');
      if (hex) ++j;
      const size_t digits_start = j;
      uint64_t number = 0;
      bool overflow = false;
      while (j < text.size() && (hex ? IsAsciiHex(text[j]) : IsAsciiDigit(text[j]))) {
        const char c = text[j];
        const uint64_t digit = IsAsciiDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
        if (number > (UINT64_MAX - digit) / (hex ? 16 : 10)) overflow = true;
        if (!overflow) number = number * (hex ? 16 : 10) + digit;
        ++j;
      }
      if (j == digits_start) {  // "&#" or "&#x" without digits: not a reference
        out.push_back('&');
        ++i;
        continue;
      }
      if (j < text.size() && text[j] == ';') ++j;
      out += NumericReference(overflow ? UINT64_MAX : number);
      i = j;
      continue;
    }
    // Named: up to 32 characters other than \t \n \f space < & # ;, then an optional ';'.
    size_t j = start;
    while (j < text.size() && j - start < 32) {
      const char c = text[j];
      if (c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' ||
          c == ';') {
        break;
      }
      ++j;
    }
    if (j == start) {
      out.push_back('&');
      ++i;
      continue;
    }
    if (j < text.size() && text[j] == ';') ++j;
    const std::string name(text.substr(start, j - start));
    const auto& table = NamedReferences();
    if (auto it = table.find(name); it != table.end()) {
      out += it->second;
    } else {
      // The longest prefix that is a reference (legacy ones need no ';').
      bool replaced = false;
      for (size_t len = name.size() - 1; len >= 2 && !replaced; --len) {
        if (auto p = table.find(name.substr(0, len)); p != table.end()) {
          out += p->second;
          out += name.substr(len);
          replaced = true;
        }
      }
      if (!replaced) out += "&" + name;
    }
    i = j;
  }
  return out;
}

std::unique_ptr<ClipTokenizer> ClipTokenizer::FromMerges(std::string_view merges_text,
                                                         std::string* error) {
  auto fail = [&](const std::string& message) {
    if (error != nullptr) *error = message;
    return std::unique_ptr<ClipTokenizer>();
  };
  std::unique_ptr<ClipTokenizer> t(new ClipTokenizer());
  const std::vector<char32_t> cps = ByteCodepoints();
  for (int b = 0; b < 256; ++b) {
    t->byte_encoder_[b] = EncodeUtf8(std::u32string(1, cps[b]));
    t->byte_decoder_[t->byte_encoder_[b]] = b;
  }
  // Merges: lines 1 .. 48894 of the file (line 0 is the version header).
  constexpr int kMerges = 49152 - 256 - 2;
  std::vector<std::pair<std::string, std::string>> merges;
  size_t pos = merges_text.find('\n');
  if (pos == std::string_view::npos) return fail("merges file has no header line");
  ++pos;
  while (static_cast<int>(merges.size()) < kMerges && pos < merges_text.size()) {
    size_t end = merges_text.find('\n', pos);
    if (end == std::string_view::npos) end = merges_text.size();
    const std::string_view line = merges_text.substr(pos, end - pos);
    const size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string_view::npos) {
      return fail("merges line " + std::to_string(merges.size() + 2) + " is not 'left right'");
    }
    merges.emplace_back(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
    pos = end + 1;
  }
  if (static_cast<int>(merges.size()) != kMerges) {
    return fail("merges file has " + std::to_string(merges.size()) + " merges, expected " +
                std::to_string(kMerges));
  }
  for (int b : ByteOrder()) t->vocab_.push_back(t->byte_encoder_[b]);
  for (int b : ByteOrder()) t->vocab_.push_back(t->byte_encoder_[b] + "</w>");
  for (size_t r = 0; r < merges.size(); ++r) {
    t->vocab_.push_back(merges[r].first + merges[r].second);
    t->merge_ranks_[merges[r].first + " " + merges[r].second] = static_cast<int>(r);
  }
  t->vocab_.push_back("<|startoftext|>");
  t->vocab_.push_back("<|endoftext|>");
  for (size_t id = 0; id < t->vocab_.size(); ++id) t->encoder_.emplace(t->vocab_[id], static_cast<int>(id));
  return t;
}

std::vector<int> ClipTokenizer::Bpe(const std::string& mapped) const {
  if (auto it = cache_.find(mapped); it != cache_.end()) return it->second;
  // Symbols: the piece's code points (as UTF-8), the last one marked "</w>".
  std::vector<std::string> word;
  const std::u32string cps = DecodeUtf8(mapped);
  for (char32_t c : cps) word.push_back(EncodeUtf8(std::u32string(1, c)));
  if (!word.empty()) word.back() += "</w>";
  while (word.size() > 1) {
    int best_rank = INT_MAX;
    std::string best_left, best_right;
    for (size_t k = 0; k + 1 < word.size(); ++k) {
      auto it = merge_ranks_.find(word[k] + " " + word[k + 1]);
      if (it != merge_ranks_.end() && it->second < best_rank) {
        best_rank = it->second;
        best_left = word[k];
        best_right = word[k + 1];
      }
    }
    if (best_rank == INT_MAX) break;
    std::vector<std::string> merged;
    for (size_t k = 0; k < word.size();) {
      if (k + 1 < word.size() && word[k] == best_left && word[k + 1] == best_right) {
        merged.push_back(best_left + best_right);
        k += 2;
      } else {
        merged.push_back(word[k]);
        ++k;
      }
    }
    word = std::move(merged);
  }
  std::vector<int> ids;
  for (const std::string& symbol : word) {
    auto it = encoder_.find(symbol);
    if (it != encoder_.end()) ids.push_back(it->second);
  }
  if (cache_.size() < 100000) cache_.emplace(mapped, ids);
  return ids;
}

std::vector<int> ClipTokenizer::Encode(std::string_view utf8) const {
  // basic_clean (without ftfy), whitespace_clean, lower.
  const std::string unescaped = HtmlUnescape(HtmlUnescape(utf8));
  const std::u32string text = ToLower(CollapseWhitespace(DecodeUtf8(unescaped)));
  std::vector<int> ids;
  for (const std::u32string& piece : SplitPieces(text)) {
    if (piece == U"<|startoftext|>") {
      ids.push_back(kStartOfText);
      continue;
    }
    if (piece == U"<|endoftext|>") {
      ids.push_back(kEndOfText);
      continue;
    }
    std::string mapped;
    for (unsigned char byte : EncodeUtf8(piece)) mapped += byte_encoder_[byte];
    const std::vector<int> piece_ids = Bpe(mapped);
    ids.insert(ids.end(), piece_ids.begin(), piece_ids.end());
  }
  return ids;
}

std::string ClipTokenizer::Decode(const std::vector<int>& ids) const {
  std::string mapped;
  for (int id : ids) {
    if (id < 0 || id >= static_cast<int>(vocab_.size()) || id == kStartOfText || id == kEndOfText) {
      continue;
    }
    mapped += vocab_[id];
  }
  std::string bytes;
  const std::u32string cps = DecodeUtf8(mapped);
  const std::u32string word_end = U"</w>";
  for (size_t i = 0; i < cps.size(); ++i) {
    if (cps.compare(i, word_end.size(), word_end) == 0) {
      bytes.push_back(' ');
      i += word_end.size() - 1;
      continue;
    }
    auto it = byte_decoder_.find(EncodeUtf8(std::u32string(1, cps[i])));
    if (it != byte_decoder_.end()) bytes.push_back(static_cast<char>(it->second));
  }
  return EncodeUtf8(DecodeUtf8(bytes));  // invalid sequences -> U+FFFD
}

std::vector<int> ClipTokenizer::EncodeWithMarkers(std::string_view utf8, int context_length) const {
  std::vector<int> ids = {kStartOfText};
  const std::vector<int> body = Encode(utf8);
  ids.insert(ids.end(), body.begin(), body.end());
  ids.push_back(kEndOfText);
  if (context_length >= 2 && static_cast<int>(ids.size()) > context_length) {
    ids.resize(context_length);
    ids.back() = kEndOfText;
  }
  return ids;
}

const std::string& ClipTokenizer::TokenText(int id) const {
  static const std::string* empty = new std::string();
  return id >= 0 && id < static_cast<int>(vocab_.size()) ? vocab_[id] : *empty;
}

TokenBatch TokenizeBatch(const ClipTokenizer& tokenizer, const std::vector<std::string>& prompts,
                         Padding padding, int context_length) {
  TokenBatch batch;
  size_t longest = 0;
  for (const std::string& p : prompts) {
    batch.ids.push_back(tokenizer.EncodeWithMarkers(p, context_length));
    longest = std::max(longest, batch.ids.back().size());
  }
  const size_t length = padding == Padding::kToContext ? static_cast<size_t>(context_length) : longest;
  for (std::vector<int>& ids : batch.ids) {
    batch.eos_position.push_back(static_cast<int>(ids.size()) - 1);
    std::vector<int> mask(ids.size(), 1);
    mask.resize(length, 0);
    ids.resize(length, kEndOfText);
    batch.attention_mask.push_back(std::move(mask));
  }
  return batch;
}

}  // namespace warden::clip
