// libFuzzer target for the CLIP tokenizer: any bytes (invalid UTF-8, entity
// soup, special tokens) must encode without crashing, to ids inside the
// vocabulary, and decode again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "components/clip/tokenizer.h"
#include "components/clip/vocab.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const warden::clip::ClipTokenizer* tokenizer = [] {
    const char* path = std::getenv("CLIP_VOCAB");
    auto t = warden::clip::LoadClipTokenizer(path ? path : "");
    if (!t.ok()) std::abort();
    return t->release();
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::vector<int> ids = tokenizer->EncodeWithMarkers(text);
  if (ids.size() > 77 || ids.front() != warden::clip::kStartOfText) __builtin_trap();
  for (int id : ids) {
    if (id < 0 || id >= tokenizer->vocab_size()) __builtin_trap();
  }
  (void)tokenizer->Decode(ids);
  (void)warden::clip::HtmlUnescape(text);
  return 0;
}
