#include "tools/cli/commands/lazarus_train_flags.h"

#include <torch/cuda.h>

#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "distributed/lazarus/runtime/process_group.h"

namespace warden::lazarus {

void TrainFlags::Define(cli::FlagSet& f) {
  f.Int("ranks", &ranks, "workers to launch on loopback");
  f.Int("steps", &steps, "training steps");
  f.Int("kill-rank", &kill_rank, "worker to SIGKILL (-1: none)");
  f.Int("kill-at-step", &kill_at_step, "step at which --kill-rank is killed");
  f.String("kills", &kills, "more failures: ID@STEP,ID@STEP (same step = simultaneous)");
  f.String("stops", &stops, "hung workers: ID@STEP,... are SIGSTOPped (found by --heartbeat_timeout)");
  f.String("recovery_kills", &recovery_kills,
           "failures during recovery: ID,ID,... SIGKILLed once the first failure's new generation is "
           "proposed and partly configured, before it commits (each later ID: during the recovery from "
           "the previous)");
  f.String("reduce_faults", &reduce_faults,
           "transient faults: ID@STEP,... that worker counts the step's all-reduce as failed after it "
           "completed (the others applied the step; it catches up from their summed gradients)");
  f.String("joins", &joins, "steps at which a new worker is launched to join: STEP,STEP");
  f.Int("experts", &experts, "experts per MoE layer");
  f.Int("layers", &layers, "transformer layers (every one MoE)");
  f.Int("width", &width, "model width");
  f.Int("heads", &heads, "attention heads");
  f.Int("expert_hidden", &expert_hidden, "expert MLP hidden width");
  f.Int("context", &context, "tokens (bytes) per sequence");
  f.Int("top_k", &top_k, "experts per token (1 or 2)");
  f.Int("global_batch", &global_batch, "sequences per step over all workers");
  f.Int("slots", &slots, "expert slots per worker and layer");
  f.Int("ranks_per_node", &ranks_per_node,
        "workers per node (id / this = node): replicas of an expert go to distinct nodes, and a node whose "
        "worker fails leaves whole");
  f.Int("fault_tolerance", &fault_tolerance,
        "f of Eq. 1: at least f replicas of every expert when feasible (f - 1 node failures always "
        "survivable)");
  f.Int("seed", &seed, "seed of the model");
  f.Double("lr", &lr, "Adam learning rate");
  f.Double("gate_skew", &gate_skew, "fixed gate bias skewing routing towards low-numbered experts");
  f.Int("rebalance_every", &rebalance_every,
        "re-plan replicas from observed loads every this many steps (0: never)");
  f.String("failed_step", &failed_step,
           "the step a failure interrupted: retry (the run then equals a failure-free one) or drop "
           "(the paper's survivors skip it: docs/specs/lazarus.md)");
  f.String("backend", &backend,
           "collectives: gloo (CPU), or nccl (a --config=cuda build with a GPU per worker)");
  f.String("device", &device,
           "where each worker's model and experts live: cpu, or cuda (cuda:<worker id mod GPUs>; "
           "the default with --backend=nccl; otherwise cpu)");
  f.String("checkpoint", &checkpoint, "checkpoint path (the fallback when an expert loses every replica)");
  f.Int("checkpoint_every", &checkpoint_every, "steps between checkpoints (0: none)");
  f.Int("collective_timeout_ms", &collective_timeout_ms, "Gloo collective timeout");
  f.Int("print_every", &print_every, "timeline: print every this many steps");
  f.Double("heartbeat_timeout", &heartbeat_timeout,
           "seconds without a heartbeat before a live worker counts as hung (at least 10 measured steps); "
           "dead workers are seen at once");
  f.Double("deadline", &deadline, "give up after this many seconds");
  f.String("final_state", &final_state,
           "final states (tests): FILE from rank 0, FILE.rank<k> from the others; dense and experts with "
           "Adam state");
  f.String("summary", &summary, "also write the JSON summary here");
  f.String("skip_steps", &skip_steps, "drop these steps' batches: STEP,STEP (reference runs)");
}

std::vector<std::string> TrainFlags::ToArgs() const {
  return {absl::StrCat("--ranks=", ranks),
          absl::StrCat("--steps=", steps),
          absl::StrCat("--kill-rank=", kill_rank),
          absl::StrCat("--kill-at-step=", kill_at_step),
          absl::StrCat("--kills=", kills),
          absl::StrCat("--stops=", stops),
          absl::StrCat("--recovery_kills=", recovery_kills),
          absl::StrCat("--reduce_faults=", reduce_faults),
          absl::StrCat("--joins=", joins),
          absl::StrCat("--experts=", experts),
          absl::StrCat("--layers=", layers),
          absl::StrCat("--width=", width),
          absl::StrCat("--heads=", heads),
          absl::StrCat("--expert_hidden=", expert_hidden),
          absl::StrCat("--context=", context),
          absl::StrCat("--top_k=", top_k),
          absl::StrCat("--global_batch=", global_batch),
          absl::StrCat("--slots=", slots),
          absl::StrCat("--ranks_per_node=", ranks_per_node),
          absl::StrCat("--fault_tolerance=", fault_tolerance),
          absl::StrCat("--seed=", seed),
          absl::StrCat("--lr=", lr),
          absl::StrCat("--gate_skew=", gate_skew),
          absl::StrCat("--rebalance_every=", rebalance_every),
          absl::StrCat("--failed_step=", failed_step),
          absl::StrCat("--backend=", backend),
          absl::StrCat("--device=", device),
          absl::StrCat("--checkpoint=", checkpoint),
          absl::StrCat("--checkpoint_every=", checkpoint_every),
          absl::StrCat("--collective_timeout_ms=", collective_timeout_ms),
          absl::StrCat("--print_every=", print_every),
          absl::StrCat("--heartbeat_timeout=", heartbeat_timeout),
          absl::StrCat("--deadline=", deadline),
          absl::StrCat("--final_state=", final_state),
          absl::StrCat("--summary=", summary),
          absl::StrCat("--skip_steps=", skip_steps)};
}

absl::StatusOr<ControllerOptions> TrainFlags::ToOptions(const std::string& worker_binary) const {
  if (ranks < 1 || steps < 1 || experts < 1 || layers < 1 || width < 1 || heads < 1 || width % heads != 0 ||
      top_k < 1 || top_k > std::min<int64_t>(2, experts) || global_batch < ranks || slots < 1 ||
      ranks * slots < experts || context < 2) {
    return absl::InvalidArgumentError(
        "need ranks, steps >= 1; width divisible by heads; top_k 1 or 2; global_batch >= ranks; "
        "ranks * slots >= experts");
  }
  if (ranks_per_node < 1 || ranks % ranks_per_node != 0)
    return absl::InvalidArgumentError("--ranks must be a multiple of --ranks_per_node (>= 1): whole nodes");
  if (ranks_per_node > 1 && !joins.empty())
    return absl::InvalidArgumentError("--joins adds one worker at a time; it needs --ranks_per_node=1");
  ControllerOptions o;
  o.ranks = static_cast<int>(ranks);
  o.ranks_per_node = static_cast<int>(ranks_per_node);
  o.worker_binary = worker_binary;
  o.slots = static_cast<int>(slots);
  o.fault_tolerance = static_cast<int>(fault_tolerance);
  o.heartbeat_timeout_s = heartbeat_timeout;
  o.deadline_s = deadline;
  o.print_every = std::max<int64_t>(1, print_every);
  WorkerOptions& w = o.worker;
  w.steps = steps;
  w.train.model = {256, context, width, heads, layers, experts, expert_hidden, top_k, gate_skew};
  o.rebalance_every = rebalance_every;
  if (failed_step != "retry" && failed_step != "drop")
    return absl::InvalidArgumentError("--failed_step must be retry or drop");
  o.retry_failed_step = failed_step == "retry";
  w.train.global_batch = global_batch;
  w.train.learning_rate = lr;
  w.train.seed = static_cast<uint64_t>(seed);
  if (backend != "gloo" && backend != "nccl")
    return absl::InvalidArgumentError("--backend must be gloo or nccl");
  if (backend == "nccl" && !NcclCompiledIn()) {
    return absl::InvalidArgumentError(
        "--backend=nccl needs a LibTorch with NCCL (--config=cuda on a machine whose PyTorch has CUDA); "
        "this build's LibTorch has none");
  }
  const std::string where = device.empty() ? (backend == "nccl" ? "cuda" : "cpu") : device;
  if (where != "cpu" && where != "cuda") return absl::InvalidArgumentError("--device must be cpu or cuda");
  if (where == "cuda" && torch::cuda::device_count() == 0) {
    // Checked here: workers that die before registering would leave the controller waiting.
    return absl::InvalidArgumentError(
        "--device=cuda (or --backend=nccl) but this LibTorch sees no CUDA device");
  }
  if (backend == "nccl" && where == "cpu") {
    return absl::InvalidArgumentError("--backend=nccl keeps tensors on the GPU: drop --device=cpu");
  }
  w.backend = backend;
  w.device = where;
  w.checkpoint = checkpoint;
  w.checkpoint_every = checkpoint_every;
  w.collective_timeout_ms = collective_timeout_ms;
  w.final_state = final_state;
  if (kill_rank >= 0) {
    if (kill_rank >= ranks || kill_at_step < 0)
      return absl::InvalidArgumentError("--kill-rank needs a rank < --ranks and --kill-at-step >= 0");
    o.kills.push_back({static_cast<int>(kill_rank), kill_at_step});
  }
  for (const auto& [flag, text, list] :
       {std::tuple{"--kills", &kills, &o.kills}, std::tuple{"--stops", &stops, &o.stops},
        std::tuple{"--reduce_faults", &reduce_faults, &w.reduce_faults}}) {
    for (absl::string_view k : absl::StrSplit(*text, ',', absl::SkipEmpty())) {
      std::pair<std::string, std::string> parts = absl::StrSplit(k, '@');
      int id = 0;
      int64_t step = 0;
      if (!absl::SimpleAtoi(parts.first, &id) || !absl::SimpleAtoi(parts.second, &step) || id < 0 ||
          step < 0) {
        return absl::InvalidArgumentError(absl::StrCat(flag, ": bad entry \"", k, "\" (want ID@STEP)"));
      }
      list->push_back({id, step});
    }
  }
  for (absl::string_view k : absl::StrSplit(recovery_kills, ',', absl::SkipEmpty())) {
    int id = 0;
    if (!absl::SimpleAtoi(k, &id) || id < 0)
      return absl::InvalidArgumentError(absl::StrCat("--recovery_kills: bad worker id \"", k, "\""));
    o.recovery_kills.push_back(id);
  }
  for (absl::string_view j : absl::StrSplit(joins, ',', absl::SkipEmpty())) {
    int64_t step = 0;
    if (!absl::SimpleAtoi(j, &step) || step < 0)
      return absl::InvalidArgumentError(absl::StrCat("--joins: bad step \"", j, "\""));
    o.join_at_steps.push_back(step);
  }
  std::sort(o.join_at_steps.begin(), o.join_at_steps.end());
  for (absl::string_view v : absl::StrSplit(skip_steps, ',', absl::SkipEmpty())) {
    int64_t step = 0;
    if (!absl::SimpleAtoi(v, &step))
      return absl::InvalidArgumentError(absl::StrCat("--skip_steps: bad step \"", v, "\""));
    w.skip_steps.push_back(step);
  }
  if (checkpoint_every > 0 && checkpoint.empty())
    return absl::InvalidArgumentError("--checkpoint_every needs --checkpoint");
  return o;
}

}  // namespace warden::lazarus
