#include "components/tensor/runtime.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace warden::tensor {
namespace {

bool EnvSet(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0';
}

// OpenBLAS's thread controls, looked up once at run time (BlasThreads is on
// every encode's path): the binary links libblas.so.3, which Debian's
// alternatives may point at another BLAS.
using SetThreadsFn = void (*)(int);
using GetThreadsFn = int (*)();

SetThreadsFn OpenBlasSetThreads() {
  static const auto set = reinterpret_cast<SetThreadsFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  return set;
}

GetThreadsFn OpenBlasGetThreads() {
  static const auto get = reinterpret_cast<GetThreadsFn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return get;
}

}  // namespace

bool SetBlasThreads(int threads) {
  const SetThreadsFn set = OpenBlasSetThreads();
  if (set == nullptr) return false;
  set(std::max(1, threads));
  return true;
}

int BlasThreads() {
  const GetThreadsFn get = OpenBlasGetThreads();
  return get == nullptr ? -1 : get();
}

void InitTorchRuntime() {
#ifdef __GLIBC__
  if (!EnvSet("MALLOC_MMAP_THRESHOLD_") && !EnvSet("MALLOC_TRIM_THRESHOLD_")) {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's ceiling on 64-bit
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  }
#endif
  if (!EnvSet("OPENBLAS_NUM_THREADS")) SetBlasThreads(1);
  if (EnvSet("OMP_NUM_THREADS")) return;
  const unsigned cores = std::thread::hardware_concurrency();
  if (cores > 0) at::set_num_threads(static_cast<int>(cores));
}

at::Tensor RowParallelMm(const at::Tensor& a, const at::Tensor& b) {
  const int64_t m = a.size(0);
  const int threads = at::get_num_threads();
  if (BlasThreads() != 1 || threads < 2 || m < 2 || !a.device().is_cpu()) return at::mm(a, b);
  at::Tensor out = at::empty({m, b.size(1)}, a.options());
  const int64_t block = (m + threads - 1) / threads;
  at::parallel_for(0, m, block, [&](int64_t begin, int64_t end) {
    at::Tensor rows = out.slice(0, begin, end);
    at::mm_out(rows, a.slice(0, begin, end), b);
  });
  return out;
}

}  // namespace warden::tensor
