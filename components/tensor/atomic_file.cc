#include "components/tensor/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace warden::tensor {
namespace {

absl::Status ErrnoError(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, const std::vector<ByteChunk>& chunks,
                                 const AtomicWriteOptions& options) {
  std::string temp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return ErrnoError("cannot create temporary file for", path);
  auto fail = [&](const std::string& what) {
    absl::Status status = ErrnoError(what, temp);
    ::close(fd);
    ::unlink(temp.c_str());
    return status;
  };

  size_t total = 0;
  for (const ByteChunk& chunk : chunks) total += chunk.size;
  size_t written = 0;
  constexpr size_t kMaxWrite = size_t{64} << 20;  // progress granularity
  for (const ByteChunk& chunk : chunks) {
    const char* p = static_cast<const char*>(chunk.data);
    size_t left = chunk.size;
    while (left > 0) {
      const ssize_t n = ::write(fd, p, std::min(left, kMaxWrite));
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail("cannot write");
      }
      p += n;
      left -= static_cast<size_t>(n);
      written += static_cast<size_t>(n);
      if (options.progress) options.progress(written, total);
    }
  }
  if (::fchmod(fd, 0644) != 0) return fail("cannot chmod");
  if (::fsync(fd) != 0) return fail("cannot fsync");
  if (::close(fd) != 0) {
    absl::Status status = ErrnoError("cannot close", temp);
    ::unlink(temp.c_str());
    return status;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    absl::Status status = ErrnoError("cannot rename temporary file onto", path);
    ::unlink(temp.c_str());
    return status;
  }
  // Persist the rename itself.
  const int dir = ::open(DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return absl::OkStatus();
}

absl::Status WriteTextAtomically(const std::string& path, std::string_view text) {
  return WriteFileAtomically(path, {{text.data(), text.size()}});
}

}  // namespace warden::tensor
