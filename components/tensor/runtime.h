// Process-wide LibTorch settings for Warden binaries, and the one GEMM helper
// that depends on them.
//
// One thread pool: OpenBLAS (Debian's is the pthread build) keeps its own
// worker threads spinning after each GEMM, and every OpenMP-parallel ATen op
// right after a GEMM then waits for cores those threads hold: on 2 cores,
// adding a bias to a 77 × 8192 GEMM result cost 5–6 ms instead of 0.2 ms
// (docs/benchmarks.md, "ItD gate speed"). So BLAS runs single-threaded and the
// parallelism is ATen's: over rows (RowParallelMm) or over the batch (ATen's
// own CPU kernels).
//
// Freed memory stays with the process: glibc maps every block over its
// dynamic threshold afresh and returns the heap's top when it is freed, so a
// loop of multi-megabyte temporaries pays a page fault per 4 KiB on every
// pass — under this machine's paravirtualised MMU that was 75% of a REaaS
// bound evaluation (docs/benchmarks.md, "REaaS"). InitTorchRuntime keeps
// blocks up to 32 MiB on the heap and trims it only past 1 GiB free.
#ifndef WARDEN_COMPONENTS_TENSOR_RUNTIME_H_
#define WARDEN_COMPONENTS_TENSOR_RUNTIME_H_

#include <ATen/ATen.h>

namespace warden::tensor {

// Uses every core for ATen's intra-op parallelism unless OMP_NUM_THREADS says
// otherwise (Debian's LibTorch starts with one thread), and makes BLAS
// single-threaded unless OPENBLAS_NUM_THREADS says otherwise, and keeps freed
// memory for reuse (glibc; unless MALLOC_MMAP_THRESHOLD_ or
// MALLOC_TRIM_THRESHOLD_ is set). Call once, early, before any other thread
// runs torch code.
void InitTorchRuntime();

// Sets OpenBLAS's thread count if the process has OpenBLAS loaded; returns
// false (and does nothing) for any other BLAS.
bool SetBlasThreads(int threads);

// OpenBLAS's thread count, or -1 for another BLAS.
int BlasThreads();

// a [m, k] · b [k, n] as one GEMM per ATen thread on a block of a's rows, when
// BLAS is single-threaded; at::mm otherwise. No autograd (call under
// NoGradGuard); float CPU tensors.
at::Tensor RowParallelMm(const at::Tensor& a, const at::Tensor& b);

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_RUNTIME_H_
