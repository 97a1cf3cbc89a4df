// One Lazarus worker's training state and step (spec §1, §4): dense
// parameters (data-parallel), this worker's expert replicas, Adam state for
// both, and the step: forward/backward with the dispatcher, one all-reduce of
// a flat buffer [dense grads | every expert's grads (zeros where this rank has
// no replica) | loss | flags], then Adam. Summing expert grads over all ranks
// sums them over the expert's replica holders, so replicas stay identical and
// the update equals a single process's on the whole global batch.
//
// State moves as flat buffers: dense (params + Adam), and per expert (params +
// Adam) for migration between workers; a full checkpoint holds everything.
#ifndef WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_TRAINER_H_
#define WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_TRAINER_H_

#include <map>
#include <string>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <vector>

#include "absl/status/statusor.h"
#include "components/tensor/checkpoint.h"
#include "distributed/lazarus/runtime/messages.h"
#include "distributed/lazarus/runtime/moe_model.h"

namespace warden::lazarus {

struct TrainConfig {
  MoeConfig model;
  int64_t global_batch = 16;  // sequences per step over all ranks
  double learning_rate = 3e-3;
  uint64_t seed = 0;
  // Where the model, the experts and their Adam state live (cuda:<local rank>
  // with NCCL); batches move there, checkpoints come back to the CPU.
  at::Device device = at::kCPU;
};

struct StepOutcome {
  double loss = 0;         // global mean next-token loss
  bool any_flag = false;   // some rank raised `flag`
  at::Tensor load;         // [layers, experts]: routed tokens, all ranks
  int64_t rows_sent = 0;   // rows this rank sent to other ranks
  double gate_margin = 0;  // this rank's smallest routing gap (MoeGptImpl::last_gate_margin)
};

class Trainer {
 public:
  Trainer(const TrainConfig& config, const ByteCorpus* corpus);

  // Keeps exactly the experts in `keep` that are present; creates none.
  void RetainExperts(const std::vector<ExpertKey>& keep);
  // Every expert, freshly initialised (single process, and the first plan).
  void InitExperts(const std::vector<ExpertKey>& keys);
  const std::map<ExpertKey, Expert>& experts() const { return experts_; }

  // Trains on step `step`'s global batch. `group` null: a single process
  // holding every expert (the reference). Throws on a failed collective, and
  // with `fault_after_reduce` once the all-reduce completed, before the
  // update (fault injection: WorkerOptions::reduce_faults).
  StepOutcome Step(int64_t step, const c10::intrusive_ptr<c10d::ProcessGroup>& group, int rank, int world,
                   const ReplicaPlan& plan, bool flag, bool fault_after_reduce = false);

  int64_t updates() const { return updates_; }  // Adam steps taken

  // Flat buffers for migration and broadcast.
  at::Tensor PackDense() const;  // params, Adam m, v, updates
  absl::Status UnpackDense(const at::Tensor& buffer);
  int64_t ExpertBufferSize() const;  // params + m + v of one expert
  at::Tensor PackExpert(const ExpertKey& key) const;
  void UnpackExpert(const ExpertKey& key, const at::Tensor& buffer);

  // The summed gradients of the last applied step: the all-reduce's result
  // (loss, flags and loads at its end), kept until the next step instead of a
  // copy of the state. When a failure interrupts step s after some ranks
  // finished its all-reduce, the others apply this buffer of one that did
  // (ApplyReduced) and every survivor is at s: nobody undoes a step, and no
  // rank ever holds a second copy of its parameters or Adam state.
  const at::Tensor& last_reduced() const { return last_reduced_; }
  int64_t last_reduced_step() const { return last_reduced_step_; }  // -1: none
  int64_t ReducedBufferSize() const;
  // Adam with step `step`'s summed gradients (another rank's last_reduced()),
  // exactly as Step applies them; InvalidArgument for a buffer of another size.
  absl::Status ApplyReduced(int64_t step, const at::Tensor& reduced);

  // Full-model checkpoint tensors (needs every expert here) and loading the
  // dense state plus the experts in `keys` back.
  tensor::Checkpoint ToCheckpoint(const std::map<ExpertKey, at::Tensor>& all_expert_buffers) const;
  absl::Status FromCheckpoint(const tensor::Checkpoint& checkpoint, const std::vector<ExpertKey>& keys);

  // Dense parameters flattened (tests compare runs with this).
  at::Tensor DenseParameters() const;
  const TrainConfig& config() const { return config_; }

 private:
  struct Moments {
    at::Tensor m, v;
  };
  void AdamUpdate(at::Tensor& param, const at::Tensor& grad, Moments& moments);
  void Update(int64_t step, const at::Tensor& reduced);
  std::vector<at::Tensor> DenseParams() const;
  Moments& MomentsOf(const std::string& name, const at::Tensor& like);

  TrainConfig config_;
  const ByteCorpus* corpus_;
  MoeGpt model_;
  std::map<ExpertKey, Expert> experts_;
  std::map<std::string, Moments> moments_;
  int64_t updates_ = 0;

  at::Tensor last_reduced_;
  int64_t last_reduced_step_ = -1;
};

}  // namespace warden::lazarus

#endif  // WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_TRAINER_H_
