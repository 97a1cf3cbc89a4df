#include "components/clip/unicode.h"

#include <algorithm>

namespace warden::clip {
namespace {

struct CodepointRange {
  char32_t first, last;
};

struct LowercaseRun {
  char32_t first, last;
  int delta;
  int stride;
};

#include "components/clip/unicode_tables.inc"

template <size_t N>
bool InRanges(const CodepointRange (&ranges)[N], char32_t c) {
  const CodepointRange* it = std::upper_bound(
      ranges, ranges + N, c, [](char32_t value, const CodepointRange& r) { return value < r.first; });
  return it != ranges && c <= (it - 1)->last;
}

constexpr char32_t kReplacement = 0xFFFD;

}  // namespace

std::u32string DecodeUtf8(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char b = s[i];
    int len = 0;
    char32_t cp = 0, min = 0;
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      len = 2, cp = b & 0x1F, min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3, cp = b & 0x0F, min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4, cp = b & 0x07, min = 0x10000;
    }
    bool ok = len > 0 && i + len <= n;
    for (int k = 1; ok && k < len; ++k) {
      ok = (s[i + k] & 0xC0) == 0x80;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok) {
      out.push_back(cp);
      i += len;
    } else {
      out.push_back(kReplacement);
      ++i;
    }
  }
  return out;
}

std::string EncodeUtf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = kReplacement;
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

bool IsLetter(char32_t c) { return InRanges(kLetterRanges, c); }
bool IsNumber(char32_t c) { return InRanges(kNumberRanges, c); }

bool IsSpace(char32_t c) {
  return std::binary_search(std::begin(kSpaces), std::end(kSpaces), c);
}

std::u32string ToLower(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (c == 0x3A3) {  // Σ: final form after a letter and not before one (Python's Final_Sigma)
      const bool after_letter = i > 0 && IsLetter(text[i - 1]);
      const bool before_letter = i + 1 < text.size() && IsLetter(text[i + 1]);
      out.push_back(after_letter && !before_letter ? 0x3C2 : 0x3C3);
      continue;
    }
    if (c < 0x80) {
      out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
      continue;
    }
    if (c == 0x130) {  // 'İ'.lower() == 'i' + COMBINING DOT ABOVE
      out.push_back(U'i');
      out.push_back(0x307);
      continue;
    }
    const LowercaseRun* it = std::upper_bound(
        std::begin(kLowercaseRuns), std::end(kLowercaseRuns), c,
        [](char32_t value, const LowercaseRun& r) { return value < r.first; });
    char32_t lowered = c;
    if (it != std::begin(kLowercaseRuns)) {
      const LowercaseRun& run = *(it - 1);
      if (c <= run.last && (c - run.first) % run.stride == 0) {
        lowered = static_cast<char32_t>(static_cast<int64_t>(c) + run.delta);
      }
    }
    out.push_back(lowered);
  }
  return out;
}

}  // namespace warden::clip
