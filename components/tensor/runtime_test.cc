#include "components/tensor/runtime.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace warden::tensor {
namespace {

TEST(RuntimeTest, InitMakesBlasSingleThreadedAndAtenParallel) {
  if (std::getenv("OPENBLAS_NUM_THREADS") != nullptr || std::getenv("OMP_NUM_THREADS") != nullptr) {
    GTEST_SKIP() << "the environment sets the thread counts";
  }
  InitTorchRuntime();
  if (BlasThreads() == -1) GTEST_SKIP() << "the loaded BLAS is not OpenBLAS";
  EXPECT_EQ(BlasThreads(), 1);
  EXPECT_EQ(at::get_num_threads(), static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  ASSERT_TRUE(SetBlasThreads(2));
  EXPECT_EQ(BlasThreads(), 2);
  SetBlasThreads(1);
}

TEST(RuntimeTest, RowParallelMmEqualsMm) {
  InitTorchRuntime();
  at::set_num_threads(3);  // more blocks than this machine may have cores
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;
  for (int64_t m : {1, 2, 7, 77}) {
    const at::Tensor a = at::randn({m, 33});
    const at::Tensor b = at::randn({40, 33}).t();  // a transposed view, as the SAE's W_encᵀ
    const at::Tensor got = RowParallelMm(a, b);
    ASSERT_EQ(got.sizes(), (std::vector<int64_t>{m, 40}));
    EXPECT_TRUE(at::allclose(got, at::mm(a, b), 1e-5, 1e-5)) << "m = " << m;
  }
}

}  // namespace
}  // namespace warden::tensor
