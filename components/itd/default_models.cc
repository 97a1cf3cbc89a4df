#include "components/itd/default_models.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "components/status/status_macros.h"
#include "components/tensor/runfiles.h"

namespace warden::itd {
namespace {

absl::StatusOr<std::string> Resolve(const std::string& given, const char* fallback, const char* flag) {
  if (!given.empty()) return given;
  const std::string found = tensor::FindRunfile(fallback);
  if (found.empty()) {
    return absl::NotFoundError(
        absl::StrCat("the default ", fallback, " is not beside this binary: pass ", flag));
  }
  return found;
}

}  // namespace

absl::StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::StatusOr<sae::TopKSae> LoadSaeOrDefault(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(const std::string found, Resolve(path, kDefaultSae, "--sae"));
  return sae::LoadSae(found);
}

absl::StatusOr<ConceptRegistry> LoadRegistryOrDefault(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(const std::string found, Resolve(path, kDefaultRegistry, "--registry"));
  WARDEN_ASSIGN_OR_RETURN(const std::string text, ReadTextFile(found));
  absl::StatusOr<ConceptRegistry> registry = ConceptRegistry::FromJson(text);
  if (!registry.ok())
    return absl::InvalidArgumentError(absl::StrCat(found, ": ", registry.status().message()));
  return registry;
}

}  // namespace warden::itd
