// Cross-checks tools/setup and components/tensor: every file the tensor layer
// looks for is one that tools/setup installs and checksums, and the installed
// data directory has all of them.
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "components/tensor/data_dir.h"

namespace warden {
namespace {

std::set<std::string> ManifestPaths() {
  std::ifstream manifest("tools/data.sha256");  // runfiles-relative
  std::set<std::string> paths;
  std::string line;
  while (std::getline(manifest, line)) {
    std::istringstream fields(line);
    std::string sha, path;
    if (fields >> sha >> path) paths.insert(path);
  }
  return paths;
}

TEST(DataLayoutTest, EveryDatasetFileIsInTheSetupManifest) {
  const std::set<std::string> manifest = ManifestPaths();
  ASSERT_GT(manifest.size(), 400u) << "tools/data.sha256 missing or truncated";
  for (const tensor::Dataset& dataset : tensor::KnownDatasets()) {
    for (const std::string& file : dataset.files) {
      EXPECT_TRUE(manifest.count(file)) << dataset.name << ": " << file
                                        << " is not installed by tools/setup";
    }
  }
}

TEST(DataLayoutTest, InstalledDataDirectoryHasEveryDataset) {
  for (const tensor::Dataset& dataset : tensor::KnownDatasets()) {
    absl::Status status = tensor::CheckDataset(dataset);
    EXPECT_TRUE(status.ok()) << status;
  }
}

}  // namespace
}  // namespace warden
