// Read-only memory-mapped files.
#ifndef WARDEN_COMPONENTS_TENSOR_MAPPED_FILE_H_
#define WARDEN_COMPONENTS_TENSOR_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace warden::tensor {

// A whole file mapped read-only. Movable, not copyable; unmaps on destruction.
class MappedFile {
 public:
  // Maps `path`. NotFound if it does not exist; InvalidArgument if it is not a
  // regular file.
  static absl::StatusOr<std::unique_ptr<MappedFile>> Open(const std::string& path);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}

  std::string path_;
  const uint8_t* data_;
  size_t size_;
};

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_MAPPED_FILE_H_
