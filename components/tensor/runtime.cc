#include "components/tensor/runtime.h"

#include <ATen/Parallel.h>

#include <cstdlib>
#include <thread>

namespace warden::tensor {

void InitTorchRuntime() {
  const char* omp = std::getenv("OMP_NUM_THREADS");
  if (omp != nullptr && *omp != '\0') return;
  const unsigned cores = std::thread::hardware_concurrency();
  if (cores > 0) at::set_num_threads(static_cast<int>(cores));
}

}  // namespace warden::tensor
