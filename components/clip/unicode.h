// The Unicode pieces CLIP's tokenizer needs, without ICU: UTF-8 decoding with a
// defined result for invalid bytes, Python's str.lower(), \p{L}, \p{N} and
// Python's \s. Tables are generated from Python's unicodedata
// (testdata/make_unicode_tables.py). Portable: C++17 standard library only.
#ifndef WARDEN_COMPONENTS_CLIP_UNICODE_H_
#define WARDEN_COMPONENTS_CLIP_UNICODE_H_

#include <string>
#include <string_view>
#include <vector>

namespace warden::clip {

// Decodes UTF-8. Each byte that does not start a valid, shortest-form sequence
// (stray continuation bytes, overlong forms, surrogates, truncation) decodes to
// one U+FFFD, and decoding resumes at the next byte.
std::u32string DecodeUtf8(std::string_view bytes);
std::string EncodeUtf8(std::u32string_view text);

bool IsLetter(char32_t c);  // \p{L}
bool IsNumber(char32_t c);  // \p{N}
bool IsSpace(char32_t c);   // Python's str.isspace()

// Python's str.lower(), including U+0130 → "i̇" and final sigma (simplified:
// Σ after a letter and not before one becomes ς).
std::u32string ToLower(std::u32string_view text);

}  // namespace warden::clip

#endif  // WARDEN_COMPONENTS_CLIP_UNICODE_H_
