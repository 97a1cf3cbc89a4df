// Text data sets from the data directory: prompt lists (npm prompt-lists),
// the State of the Union speeches and unsafe-term lists.
#ifndef WARDEN_COMPONENTS_TENSOR_TEXT_DATASETS_H_
#define WARDEN_COMPONENTS_TENSOR_TEXT_DATASETS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace warden::tensor {

// Items of a prompt list, e.g. "people/celebrity", "artist/all", "set/parti",
// "set/describe-subject": one per line after the YAML front matter, trimmed,
// empty lines dropped. NotFound (with the tools/setup hint) if missing.
absl::StatusOr<std::vector<std::string>> LoadPromptList(const std::string& name);

// Sentences of the State of the Union speeches (split at ". ", "? ", "! " and
// line breaks; 20 to 300 characters), speeches in file-name order.
absl::StatusOr<std::vector<std::string>> LoadSotuSentences();

// The English unsafe terms of npm naughty-words (a JSON array of strings).
absl::StatusOr<std::vector<std::string>> LoadUnsafeTerms();

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_TEXT_DATASETS_H_
