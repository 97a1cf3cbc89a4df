// The flexible token dispatcher (Lazarus spec §4) as an ExpertRunner over a
// c10d process group: each step and layer, ranks all-gather their per-expert
// token counts, derive the same Algorithm-1 plan (distributed/lazarus:
// dispatcher), and move routed rows with one variable-split all_to_all_single
// each way. The exchange is differentiable: its backward is the reverse
// all-to-all, so loss.backward() runs the same collectives in reverse.
#ifndef WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_DISPATCH_H_
#define WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_DISPATCH_H_

#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>

#include <map>
#include <vector>

#include "distributed/lazarus/runtime/moe_model.h"

namespace warden::lazarus {

// Variable-split all_to_all_single with autograd: rows [sum(send), d] ->
// [sum(recv), d]; gradients go back with the splits swapped.
at::Tensor AllToAll(const c10::intrusive_ptr<c10d::ProcessGroup>& group, const at::Tensor& rows,
                    const std::vector<int64_t>& send_splits, const std::vector<int64_t>& recv_splits);

class DispatchedExperts : public ExpertRunner {
 public:
  // replicas[layer][e][j]: replicas of expert e on rank j (the plan); `local`
  // holds this rank's experts (every (layer, e) with replicas[layer][e][rank] > 0).
  DispatchedExperts(c10::intrusive_ptr<c10d::ProcessGroup> group, int rank, int world,
                    std::vector<std::vector<std::vector<int>>> replicas, std::map<ExpertKey, Expert>* local);

  at::Tensor Run(int64_t layer, const at::Tensor& rows, const at::Tensor& expert_ids) override;

  int64_t rows_sent() const { return rows_sent_; }          // to other ranks, forward only
  int64_t rows_processed() const { return rows_processed_; }  // by this rank's experts

 private:
  c10::intrusive_ptr<c10d::ProcessGroup> group_;
  int rank_, world_;
  std::vector<std::vector<std::vector<int>>> replicas_;
  std::map<ExpertKey, Expert>* local_;
  int64_t rows_sent_ = 0, rows_processed_ = 0;
};

}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_DISPATCH_H_
