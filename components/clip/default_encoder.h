// The committed default CLIP text encoder (components/clip/models/, made by
// `warden clip pretrain`; its metadata records the command), and the loader
// every verb, test and benchmark uses: a user's HF folder, else the default.
#ifndef WARDEN_COMPONENTS_CLIP_DEFAULT_ENCODER_H_
#define WARDEN_COMPONENTS_CLIP_DEFAULT_ENCODER_H_

#include <string>

#include "absl/status/statusor.h"
#include "components/clip/text_model.h"

namespace warden::clip {

// Where the committed default text encoder lives (workspace-relative).
inline constexpr char kDefaultTextEncoder[] = "components/clip/models/warden-clip-text-s";

// The HF CLIPTextModel at `weights`, or, when empty, the committed default
// encoder found among the running binary's runfiles (NotFound if it is not
// there: depend on //components/clip:default_text_encoder).
absl::StatusOr<ClipTextModel> LoadTextEncoder(const std::string& weights);

}  // namespace warden::clip

#endif  // WARDEN_COMPONENTS_CLIP_DEFAULT_ENCODER_H_
