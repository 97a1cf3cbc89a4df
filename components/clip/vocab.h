// Loading CLIP's tokenizer from the data directory that tools/setup lays out.
#ifndef WARDEN_COMPONENTS_CLIP_VOCAB_H_
#define WARDEN_COMPONENTS_CLIP_VOCAB_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "components/clip/tokenizer.h"

namespace warden::clip {

// The tokenizer over clip/bpe_simple_vocab_16e6.txt.gz in the data directory
// (or `path` if given: .gz or plain). NotFound with the tools/setup hint if
// missing; DataLoss/InvalidArgument for a corrupt file.
absl::StatusOr<std::unique_ptr<ClipTokenizer>> LoadClipTokenizer(const std::string& path = "");

}  // namespace warden::clip

#endif  // WARDEN_COMPONENTS_CLIP_VOCAB_H_
