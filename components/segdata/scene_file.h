// Scene sets on disk: a safetensors file with "images" (N × 1 × S × S float32
// in [0, 1]) and "masks" (N × S × S int64: 0 background, 1..10 a glyph class,
// or kIgnoreLabel), and the source data set in the metadata. `warden seg
// scenes --out` writes one; `warden seg attack/certify --scenes` read one, so
// attacks can run on scenes made elsewhere.
//
// Reading validates everything a segmenter and the metrics rely on and names
// the first violation: missing or extra tensors, ranks, dtypes, shapes that do
// not match, pixels outside [0, 1] or not finite, labels outside the label set.
#ifndef WARDEN_COMPONENTS_SEGDATA_SCENE_FILE_H_
#define WARDEN_COMPONENTS_SEGDATA_SCENE_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "components/segdata/scenes.h"

namespace warden::segdata {

// Writes `scenes` to `path` atomically (after the same checks as reading).
absl::Status SaveSceneFile(const std::string& path, const SceneSet& scenes);

// Reads and validates a scene file; errors name `path`.
absl::StatusOr<SceneSet> LoadSceneFile(const std::string& path);

// The checks of LoadSceneFile on a scene set in memory.
absl::Status ValidateSceneSet(const SceneSet& scenes);

}  // namespace warden::segdata

#endif  // WARDEN_COMPONENTS_SEGDATA_SCENE_FILE_H_
