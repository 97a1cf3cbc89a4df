// The committed default SAE and concept registry (components/itd/models/,
// made by the commands in models/README.md), and loaders that take a user's
// file or fall back to them.
#ifndef WARDEN_COMPONENTS_ITD_DEFAULT_MODELS_H_
#define WARDEN_COMPONENTS_ITD_DEFAULT_MODELS_H_

#include <string>

#include "absl/status/statusor.h"
#include "components/itd/itd.h"
#include "components/sae/sae.h"

namespace warden::itd {

// Workspace-relative paths, found among the running binary's runfiles
// (depend on //components/itd:default_models).
inline constexpr char kDefaultSae[] = "components/itd/models/itd-sae-l2-8k.safetensors";
inline constexpr char kDefaultRegistry[] = "components/itd/models/concepts.json";

// The SAE at `path`, or the default when `path` is empty.
absl::StatusOr<sae::TopKSae> LoadSaeOrDefault(const std::string& path);

// The concept registry JSON at `path`, or the default when `path` is empty;
// a malformed file is InvalidArgument naming the file.
absl::StatusOr<ConceptRegistry> LoadRegistryOrDefault(const std::string& path);

// A whole text file (NotFound if it cannot be read).
absl::StatusOr<std::string> ReadTextFile(const std::string& path);

}  // namespace warden::itd

#endif  // WARDEN_COMPONENTS_ITD_DEFAULT_MODELS_H_
