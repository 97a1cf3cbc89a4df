// Crash-safe file replacement: write a temporary file beside the target, fsync
// it, rename it over the target, fsync the directory. A reader sees either the
// old file or the new one, never a mix, even if the writer is killed.
#ifndef WARDEN_COMPONENTS_TENSOR_ATOMIC_FILE_H_
#define WARDEN_COMPONENTS_TENSOR_ATOMIC_FILE_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace warden::tensor {

// A contiguous piece of the file's contents.
struct ByteChunk {
  const void* data;
  size_t size;
};

struct AtomicWriteOptions {
  // Called after each write(2) with the bytes written so far and the total.
  std::function<void(size_t written, size_t total)> progress;
};

// Writes the concatenation of `chunks` to `path` atomically (see above). On any
// error the target is untouched and the temporary file removed.
absl::Status WriteFileAtomically(const std::string& path, const std::vector<ByteChunk>& chunks,
                                 const AtomicWriteOptions& options = {});

// Writes `text` to `path` atomically (as above).
absl::Status WriteTextAtomically(const std::string& path, std::string_view text);

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_ATOMIC_FILE_H_
