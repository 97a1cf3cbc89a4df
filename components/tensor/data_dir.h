// Where Warden's data sets live, and how a component finds one.
//
// tools/setup lays every data set out in one directory outside the source tree;
// every component finds files there through this header, never by its own path
// logic. The directory is, in order of precedence: SetDataDirOverride (the CLI's
// --data_dir), $WARDEN_DATA_DIR, $XDG_DATA_HOME/warden, $HOME/.local/share/warden.
#ifndef WARDEN_COMPONENTS_TENSOR_DATA_DIR_H_
#define WARDEN_COMPONENTS_TENSOR_DATA_DIR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace warden::tensor {

// A data set as tools/setup lays it out.
struct Dataset {
  std::string name;         // e.g. "mnist"
  std::string description;  // one line for listings
  std::string source;       // the package it comes from
  std::vector<std::string> files;  // paths relative to the data directory
};

// The data directory (see the file comment); never empty.
std::string DataDir();

// Overrides the data directory for this process; "" restores the default lookup.
void SetDataDirOverride(const std::string& dir);

// Every data set tools/setup installs.
const std::vector<Dataset>& KnownDatasets();

// The data set called `name`, or NotFound listing the known names.
absl::StatusOr<Dataset> FindDataset(const std::string& name);

// The absolute path of `relative_path` inside the data directory. NotFound,
// naming the directory and telling the user to run tools/setup, if it is missing.
absl::StatusOr<std::string> DataFile(const std::string& relative_path);

// OK if every file of `dataset` is present; else NotFound naming the first
// missing file and the fix.
absl::Status CheckDataset(const Dataset& dataset);

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_DATA_DIR_H_
