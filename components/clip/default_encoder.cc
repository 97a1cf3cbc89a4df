#include "components/clip/default_encoder.h"

#include "absl/strings/str_cat.h"
#include "components/tensor/runfiles.h"

namespace warden::clip {

absl::StatusOr<ClipTextModel> LoadTextEncoder(const std::string& weights) {
  if (!weights.empty()) return LoadHfClipText(weights);
  const std::string found = tensor::FindRunfile(kDefaultTextEncoder);
  if (found.empty()) {
    return absl::NotFoundError(absl::StrCat("the default text encoder (", kDefaultTextEncoder,
                                            ") is not beside this binary: pass --clip_weights"));
  }
  return LoadHfClipText(found);
}

}  // namespace warden::clip
