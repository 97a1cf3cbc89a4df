#include "components/clip/vocab.h"

#include "absl/strings/str_cat.h"
#include "components/tensor/data_dir.h"
#include "components/tensor/idx.h"
#include "components/tensor/mapped_file.h"

namespace warden::clip {

absl::StatusOr<std::unique_ptr<ClipTokenizer>> LoadClipTokenizer(const std::string& path) {
  std::string file = path;
  if (file.empty()) {
    absl::StatusOr<std::string> found = tensor::DataFile("clip/bpe_simple_vocab_16e6.txt.gz");
    if (!found.ok()) return found.status();
    file = *found;
  }
  absl::StatusOr<std::unique_ptr<tensor::MappedFile>> mapped = tensor::MappedFile::Open(file);
  if (!mapped.ok()) return mapped.status();
  const uint8_t* data = (*mapped)->data();
  const size_t size = (*mapped)->size();
  std::string text;
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
    absl::StatusOr<std::vector<uint8_t>> raw = tensor::Gunzip(data, size);
    if (!raw.ok()) return absl::Status(raw.status().code(), absl::StrCat(file, ": ", raw.status().message()));
    text.assign(raw->begin(), raw->end());
  } else {
    text.assign(reinterpret_cast<const char*>(data), size);
  }
  std::string error;
  std::unique_ptr<ClipTokenizer> tokenizer = ClipTokenizer::FromMerges(text, &error);
  if (tokenizer == nullptr) return absl::InvalidArgumentError(absl::StrCat(file, ": ", error));
  return tokenizer;
}

}  // namespace warden::clip
