#include "distributed/lazarus/runtime/worker.h"

#include <signal.h>
#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <limits>
#include <thread>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "components/tensor/checkpoint.h"
#include "components/tensor/text_datasets.h"
#include "distributed/lazarus/runtime/process_group.h"
#include "distributed/lazarus/runtime/protocol.h"
#include "distributed/lazarus/runtime/worker_options.h"

namespace warden::lazarus {
namespace {

using Clock = std::chrono::steady_clock;
namespace p = protocol;

using protocol::Get;
using protocol::Set;

double NowMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

class Worker::Impl {
 public:
  Impl(const WorkerOptions& options, const ByteCorpus* corpus)
      : options_(options), trainer_(options.train, corpus) {}

  int Run() {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(options_.port);
    so.isServer = false;
    so.waitWorkers = false;
    so.timeout = std::chrono::seconds(60);
    store_ = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", so);
    std::thread heartbeat([this, so] {
      c10d::TCPStore hb("127.0.0.1", so);
      while (!stop_) {
        try {
          Set(hb, p::HeartbeatKey(options_.id), absl::StrCat(static_cast<int64_t>(NowMs())));
        } catch (const std::exception&) {
          return;  // the controller is gone
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
    Set(*store_, p::JoinedKey(options_.id), absl::StrCat(getpid()));
    // Every later store wait (a process group's rendezvous included) gives up
    // after the collective timeout, so a worker whose peer died mid-rendezvous
    // reports the failure as promptly as one whose collective failed.
    store_->setTimeout(std::chrono::milliseconds(options_.collective_timeout_ms));
    const int code = Loop();
    stop_ = true;
    heartbeat.join();
    return code;
  }

 private:
  // The next generation that includes this worker (or nullopt when told to leave).
  absl::StatusOr<p::Generation> AwaitGeneration() {
    while (true) {
      int latest = -1;
      if (store_->check({p::kLatestGeneration}))
        absl::SimpleAtoi(Get(*store_, p::kLatestGeneration), &latest);
      for (int g = std::max(gen_ + 1, latest); g >= 0 && g <= latest; ++g) {
        absl::StatusOr<p::Generation> config = p::Generation::FromJson(Get(*store_, p::GenerationKey(g)));
        if (!config.ok()) return config.status();
        if (config->RankOf(options_.id) >= 0) return config;
        if (gen_ >= 0) return absl::CancelledError("left out of the new generation");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  int Loop() {
    bool first = true;
    while (true) {
      absl::StatusOr<p::Generation> config = AwaitGeneration();
      if (!config.ok()) {
        std::fprintf(stderr, "worker %d: %s\n", options_.id, std::string(config.status().message()).c_str());
        return absl::IsCancelled(config.status()) ? 0 : 1;
      }
      gen_ = config->gen;
      try {
        const absl::Status s = Configure(*config, first);
        if (!s.ok()) {
          std::fprintf(stderr, "worker %d: %s\n", options_.id, std::string(s.message()).c_str());
          return 1;
        }
        first = false;
        // Two-phase commit: say what this worker now holds, and train only
        // once every member has (or go on to the generation that replaces it).
        Set(*store_, p::AckKey(gen_, options_.id), Holding().ToJson());
        if (!AwaitCommit()) continue;
        trainer_.RetainExperts(config->ExpertsOf(rank_));
        if (Train(*config)) {
          Set(*store_, p::DoneKey(options_.id), absl::StrCat(applied_));
          return 0;
        }
      } catch (const std::exception& e) {
        // A collective failed: some peer is gone. Report the last applied step
        // (and why, for the controller's timeline), then wait.
        const std::string what = e.what();
        if (options_.backend == "nccl") AbortGroup(group_);
        group_.reset();
        Set(*store_, p::FailureReasonKey(gen_, options_.id), what.substr(0, what.find('\n')));
        Set(*store_, p::FailedKey(gen_, options_.id), Holding().ToJson());
      }
    }
  }

  // What this worker holds now (its ack, or its failure report).
  p::Holding Holding() const {
    p::Holding h;
    h.has_state = has_state_;
    h.applied = applied_;
    h.reduced_step = trainer_.last_reduced_step();
    for (const auto& [key, e] : trainer_.experts()) h.experts.push_back(key);
    return h;
  }

  // True once generation gen_ is committed; false when a newer generation
  // replaced it first (a failure while it was being prepared).
  bool AwaitCommit() {
    while (!store_->check({p::CommitKey(gen_)})) {
      if (store_->check({p::GenerationKey(gen_ + 1)})) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  // Phase one of a generation: state, experts and the group it trains in.
  // A collective that fails here throws, as in training, and the worker
  // reports what it then holds: every step below leaves it consistent.
  absl::Status Configure(const p::Generation& config, bool first) {
    rank_ = config.RankOf(options_.id);
    world_ = static_cast<int>(config.members.size());
    plan_ = config.plan;
    const std::vector<ExpertKey> mine = config.ExpertsOf(rank_);
    if (config.from_checkpoint) {  // before the group: a failed rendezvous leaves the checkpoint's state
      absl::StatusOr<tensor::Checkpoint> ckpt = tensor::LoadCheckpoint(options_.checkpoint);
      if (!ckpt.ok()) return ckpt.status();
      if (absl::Status s = trainer_.FromCheckpoint(*ckpt, mine); !s.ok()) return s;
      applied_ = ckpt->metadata.value("step", int64_t{-1});
      has_state_ = true;
    }
    const bool initial = first && config.gen == 0;
    if (initial) {
      trainer_.InitExperts(mine);  // same seed everywhere: identical replicas
      has_state_ = true;
    }
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>(absl::StrCat("pg", config.gen, "/"), store_);
    absl::StatusOr<c10::intrusive_ptr<c10d::ProcessGroup>> group = MakeGroup(prefixed);
    if (!group.ok()) return group.status();
    group_ = *group;
    if (config.from_checkpoint || initial) return absl::OkStatus();
    // Survivors one step behind apply that step's summed gradients from one
    // that finished it (spec §5; no rank ever undoes a step).
    if (config.catch_up_source >= 0) {
      std::vector<at::Tensor> reduced = {
          rank_ == config.catch_up_source
              ? trainer_.last_reduced()
              : at::empty({trainer_.ReducedBufferSize()}, at::device(options_.train.device))};
      if (rank_ == config.catch_up_source && trainer_.last_reduced_step() != config.state_step) {
        return absl::InternalError(absl::StrCat("asked for step ", config.state_step,
                                                "'s summed gradients, holding step ",
                                                trainer_.last_reduced_step(), "'s"));
      }
      c10d::BroadcastOptions bo;
      bo.rootRank = config.catch_up_source;
      group_->broadcast(reduced, bo)->wait();
      if (has_state_ && applied_ == config.state_step - 1) {
        if (absl::Status s = trainer_.ApplyReduced(config.state_step, reduced[0]); !s.ok()) return s;
        std::fprintf(stderr, "worker %d: caught up with step %lld from rank %d's summed gradients\n",
                     options_.id, static_cast<long long>(config.state_step), config.catch_up_source);
        applied_ = config.state_step;
      }
    }
    // Experts at any other step are stale: fresh copies come below.
    if (config.state_step >= 0 && applied_ != config.state_step) trainer_.RetainExperts({});
    // Dense state and the applied step from a survivor.
    std::vector<at::Tensor> dense = {
        at::cat({trainer_.PackDense(), at::full({1}, static_cast<float>(applied_))})};
    c10d::BroadcastOptions bo;
    bo.rootRank = config.dense_source;
    group_->broadcast(dense, bo)->wait();
    if (absl::Status s = trainer_.UnpackDense(dense[0].slice(0, 0, -1)); !s.ok()) return s;
    applied_ = static_cast<int64_t>(std::llround(dense[0][-1].item<double>()));
    has_state_ = true;
    // Missing replicas from their holders.
    std::vector<c10::intrusive_ptr<c10d::Work>> pending;
    std::vector<std::pair<ExpertKey, at::Tensor>> incoming;
    for (size_t i = 0; i < config.transfers.size(); ++i) {
      const p::Transfer& t = config.transfers[i];
      const ExpertKey key{t.layer, t.expert};
      if (t.from_rank == rank_) {
        if (!trainer_.experts().count(key))
          return absl::InternalError(absl::StrCat("asked to send ", ExpertName(key), ", which is not here"));
        std::vector<at::Tensor> out = {trainer_.PackExpert(key).to(PointToPointDevice())};
        pending.push_back(group_->send(out, t.to_rank, static_cast<int>(i)));
        outgoing_.push_back(out[0]);
      } else if (t.to_rank == rank_) {
        incoming.push_back({key, at::empty({trainer_.ExpertBufferSize()}, at::device(PointToPointDevice()))});
        std::vector<at::Tensor> in = {incoming.back().second};
        pending.push_back(group_->recv(in, t.from_rank, static_cast<int>(i)));
      }
    }
    for (auto& w : pending) w->wait();
    outgoing_.clear();
    for (const auto& [key, buffer] : incoming) trainer_.UnpackExpert(key, buffer);
    for (const ExpertKey& k : mine) {
      if (!trainer_.experts().count(k))
        return absl::InternalError(absl::StrCat("no replica of ", ExpertName(k)));
    }
    // Experts the plan takes from this worker stay until the commit: a
    // failure before it may still need them.
    return absl::OkStatus();
  }

  absl::StatusOr<c10::intrusive_ptr<c10d::ProcessGroup>> MakeGroup(
      const c10::intrusive_ptr<c10d::Store>& store) {
    const std::chrono::milliseconds timeout(options_.collective_timeout_ms);
    if (options_.backend == "nccl") return MakeNcclGroup(store, rank_, world_, timeout);
    return MakeGlooGroup(store, rank_, world_, timeout);
  }

  // Gloo's send/recv take host memory only; NCCL's take the device's.
  at::Device PointToPointDevice() const {
    return options_.backend == "nccl" ? options_.train.device : at::Device(at::kCPU);
  }

  // Full state of every expert on rank 0 (owner = lowest rank holding it), written atomically.
  void WriteCheckpoint(const p::Generation& config) {
    const int64_t size = trainer_.ExpertBufferSize();
    const MoeConfig& mc = options_.train.model;
    at::Tensor all = at::zeros({mc.layers * mc.experts * size}, at::device(options_.train.device));
    for (int64_t l = 0; l < mc.layers; ++l) {
      for (int64_t e = 0; e < mc.experts; ++e) {
        int owner = -1;
        for (int j = 0; j < world_ && owner < 0; ++j) {
          if (config.plan[l][e][j] > 0) owner = j;
        }
        if (owner == rank_)
          all.slice(0, (l * mc.experts + e) * size, (l * mc.experts + e + 1) * size)
              .copy_(trainer_.PackExpert({l, e}));
      }
    }
    std::vector<at::Tensor> io = {all};
    group_->allreduce(io)->wait();
    if (rank_ != 0) return;
    std::map<ExpertKey, at::Tensor> buffers;
    for (int64_t l = 0; l < mc.layers; ++l) {
      for (int64_t e = 0; e < mc.experts; ++e) {
        buffers[{l, e}] = all.slice(0, (l * mc.experts + e) * size, (l * mc.experts + e + 1) * size).clone();
      }
    }
    tensor::Checkpoint c = trainer_.ToCheckpoint(buffers);
    c.metadata["step"] = applied_;
    if (absl::Status s = tensor::SaveCheckpoint(options_.checkpoint, c); !s.ok()) {
      std::fprintf(stderr, "worker %d: checkpoint: %s\n", options_.id, std::string(s.message()).c_str());
    }
  }

  // Returns true when every step is done; false when a new generation starts.
  bool Train(const p::Generation& config) {
    int64_t step = config.resume_step >= 0 ? config.resume_step : applied_ + 1;
    for (; step < options_.steps; ++step) {
      if (std::find(options_.skip_steps.begin(), options_.skip_steps.end(), step) !=
          options_.skip_steps.end()) {
        continue;
      }
      // A generation with a switch step ends there, whatever is announced before.
      if (config.switch_before_step >= 0 && step >= config.switch_before_step) return false;
      const bool announced = config.switch_before_step < 0 && store_->check({p::GenerationKey(gen_ + 1)});
      // An injected fault fires once: the retried step goes through.
      auto& faults = options_.reduce_faults;
      const auto at = std::find(faults.begin(), faults.end(), std::pair<int, int64_t>{options_.id, step});
      const bool fault = at != faults.end();
      if (fault) faults.erase(at);
      const StepOutcome out = trainer_.Step(step, group_, rank_, world_, plan_, announced, fault);
      applied_ = step;
      p::Progress progress;
      progress.gen = gen_;
      progress.step = step;
      progress.loss = out.loss;
      progress.time = NowMs() / 1000.0;
      progress.rows_sent = out.rows_sent;
      min_gate_margin_ = std::min(min_gate_margin_, out.gate_margin);
      progress.min_gate_margin = std::min(min_gate_margin_, p::kNoGateMargin);
      if (rank_ == 0) {
        for (int64_t l = 0; l < out.load.size(0); ++l) {
          progress.load.emplace_back(out.load[l].data_ptr<int64_t>(),
                                     out.load[l].data_ptr<int64_t>() + out.load.size(1));
        }
      }
      Set(*store_, p::ProgressKey(options_.id), progress.ToJson());
      if (options_.checkpoint_every > 0 && (step + 1) % options_.checkpoint_every == 0)
        WriteCheckpoint(config);
      // A new generation is announced: switch after this step, unless it was
      // the last (then finish, final state included).
      if (out.any_flag && step + 1 < options_.steps) return false;
    }
    if (!options_.final_state.empty()) {
      // Every rank: its dense state and its experts, each with Adam's moments
      // (tests compare whole runs: every replica, every rank).
      tensor::Checkpoint c;
      c.tensors.push_back({"dense", trainer_.PackDense()});
      for (const auto& [key, e] : trainer_.experts())
        c.tensors.push_back({"expert." + ExpertName(key), trainer_.PackExpert(key)});
      (void)tensor::SaveCheckpoint(FinalStatePath(options_.final_state, rank_), c);
    }
    return true;
  }

  WorkerOptions options_;
  Trainer trainer_;
  c10::intrusive_ptr<c10d::TCPStore> store_;
  c10::intrusive_ptr<c10d::ProcessGroup> group_;
  std::vector<at::Tensor> outgoing_;
  std::atomic<bool> stop_{false};
  ReplicaPlan plan_;
  int gen_ = -1, rank_ = 0, world_ = 1;
  int64_t applied_ = -1;
  bool has_state_ = false;  // dense state and applied_ are real (a joiner: after its first generation)
  double min_gate_margin_ = std::numeric_limits<double>::infinity();
};

Worker::Worker(const WorkerOptions& options, const ByteCorpus* corpus)
    : impl_(std::make_unique<Impl>(options, corpus)) {}
Worker::~Worker() = default;
int Worker::Run() { return impl_->Run(); }

absl::StatusOr<WorkerOptions> FetchWorkerOptions(const WorkerAddress& address,
                                                 std::chrono::milliseconds timeout) {
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(address.port);
    so.isServer = false;
    so.waitWorkers = false;
    so.timeout = timeout;
    c10d::TCPStore store("127.0.0.1", so);
    return WorkerOptionsFromJson(Get(store, protocol::kWorkerConfig), address.port, address.id);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("no worker config from the store on port ", address.port, ": ", e.what()));
  }
}

}  // namespace warden::lazarus
