#include "distributed/lazarus/runtime/controller.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "distributed/lazarus/recovery.h"
#include "distributed/lazarus/runtime/recovery_machine.h"

namespace warden::lazarus {
namespace {

namespace p = protocol;
using Clock = std::chrono::steady_clock;

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

using protocol::Get;
using protocol::Set;

pid_t Spawn(const std::string& binary, const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // no orphaned workers if the controller dies
  std::vector<char*> argv = {const_cast<char*>(binary.c_str())};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(binary.c_str(), argv.data());
  _exit(127);
}

class Controller {
 public:
  Controller(const ControllerOptions& options, std::ostream& out)
      : o_(options), out_(out), machine_(ToMachineOptions(options)) {}

  ~Controller() {
    for (const auto& [id, pid] : pids_) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }

  absl::StatusOr<RunSummary> Run() {
    start_ = Clock::now();
    // The store server writes to workers' sockets; one that was just killed
    // must cost an EPIPE, not a SIGPIPE that takes the controller down with it.
    ::signal(SIGPIPE, SIG_IGN);
    c10d::TCPStoreOptions so;
    so.port = 0;
    so.isServer = true;
    so.waitWorkers = false;
    so.timeout = std::chrono::seconds(30);
    store_ = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", so);
    // One config path: every worker reads its options from here.
    Set(*store_, p::kWorkerConfig, WorkerConfigJson(o_.worker));
    port_ = store_->getPort();
    out_ << absl::StrFormat("controller: TCPStore on 127.0.0.1:%d; launching %d workers\n", port_, o_.ranks);
    for (int id = 0; id < o_.ranks; ++id) Launch(id);
    const std::vector<int> initial(ids_.begin(), ids_.end());
    // Joiners start now and wait as standbys, so a join never races the run.
    for (int64_t step : o_.join_at_steps) {
      const int id = *ids_.rbegin() + 1;
      Launch(id);
      standbys_.push_back({step, id});
      out_ << absl::StrFormat("controller: worker %d launched as a standby to join at step %d\n", id, step);
    }
    if (absl::Status s = AwaitJoined(initial); !s.ok()) return s;

    absl::StatusOr<p::Generation> first = machine_.Start(initial);
    if (!first.ok()) return first.status();
    Publish(*first);
    next_rebalance_ = o_.rebalance_every;

    while (true) {
      if (Elapsed() > o_.deadline_s)
        return absl::DeadlineExceededError("training did not finish before the deadline");
      Poll();
      if (AllDone()) break;
      InjectFailures();
      if (absl::Status s = MaybeCommit(); !s.ok()) return s;
      if (absl::Status s = MaybeJoin(); !s.ok()) return s;
      if (absl::Status s = MaybeRebalance(); !s.ok()) return s;
      if (absl::Status s = MaybeRecover(); !s.ok()) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    summary_.seconds = Elapsed();
    // Every worker that ever ran reports its running minimum in its last progress.
    summary_.min_gate_margin = p::kNoGateMargin;
    for (int id : ids_) {
      if (!store_->check({p::ProgressKey(id)})) continue;
      absl::StatusOr<p::Progress> pr = p::Progress::FromJson(Get(*store_, p::ProgressKey(id)));
      if (pr.ok()) summary_.min_gate_margin = std::min(summary_.min_gate_margin, pr->min_gate_margin);
    }
    summary_.final_world = static_cast<int>(current_.members.size());
    summary_.steps = last_step_ + 1;
    summary_.final_loss = last_loss_;
    const MoeConfig& m = o_.worker.train.model;
    summary_.tokens_per_second =
        static_cast<double>(summary_.steps * o_.worker.train.global_batch * m.context) /
        std::max(1e-9, train_seconds_);
    return summary_;
  }

 private:
  double Elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  void Launch(int id) {
    pids_[id] = Spawn(o_.worker_binary, WorkerArgs({port_, id}));
    ids_.insert(id);
  }

  // Waits for `ids` to register; a worker that exits first (bad data, a bad
  // flag: its error is on stderr above) ends the wait at once.
  absl::Status AwaitJoined(const std::vector<int>& ids) {
    std::vector<std::string> keys;
    for (int id : ids) keys.push_back(p::JoinedKey(id));
    const Clock::time_point deadline = Clock::now() + std::chrono::seconds(60);
    try {
      while (!store_->check(keys)) {
        for (int id : ids) {
          if (Exited(id)) {
            return absl::FailedPreconditionError(
                absl::StrCat("worker ", id, " exited before it registered (its error is above)"));
          }
        }
        if (Clock::now() > deadline)
          return absl::DeadlineExceededError("workers did not register within 60 s");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    } catch (const std::exception& e) {
      return absl::UnavailableError(absl::StrCat("workers did not register: ", e.what()));
    }
    return absl::OkStatus();
  }

  static RecoveryMachineOptions ToMachineOptions(const ControllerOptions& o) {
    RecoveryMachineOptions r;
    r.model = o.worker.train.model;
    r.slots = o.slots;
    r.ranks_per_node = o.ranks_per_node;
    r.fault_tolerance = o.fault_tolerance;
    r.checkpoint_available = !o.worker.checkpoint.empty() && o.worker.checkpoint_every > 0;
    r.retry_failed_step = o.retry_failed_step;
    return r;
  }

  // Proposes the machine's new generation to the workers (phase one).
  void Publish(p::Generation g) {
    // The next join's step, if still ahead: this generation's members stop
    // before it and wait for the generation that includes the joiner.
    if (!standbys_.empty() && standbys_.front().step > last_step_ + 1)
      g.switch_before_step = standbys_.front().step;
    Set(*store_, p::GenerationKey(g.gen), g.ToJson());
    Set(*store_, p::kLatestGeneration, absl::StrCat(g.gen));
    current_ = g;
    acked_.clear();
    // How well this plan survives node losses (spec §3), as the paper plans for.
    const std::vector<Placement>& nodes = machine_.node_plan();
    const int n = nodes.empty() ? 0 : nodes.front().num_nodes();
    std::vector<std::string> odds;
    for (int k = 1; k <= std::min(2, n - 1); ++k) {
      absl::StatusOr<RecoveryEstimate> p =
          RecoveryProbability(nodes, static_cast<int>(o_.worker.train.model.experts), k);
      if (p.ok()) odds.push_back(absl::StrFormat("%d of %d nodes %.3f", k, n, p->probability));
    }
    if (!odds.empty()) {
      out_ << absl::StrFormat("[%7.2fs] generation %d plan: P(recovery) if %s\n", Elapsed(), g.gen,
                              absl::StrJoin(odds, ", "));
    }
    gen_started_ = Elapsed();
    gen_last_step_ = -1;
  }

  // Progress of the current members; prints the timeline.
  void Poll() {
    for (int id : current_.members) {
      if (!store_->check({p::ProgressKey(id)})) continue;
      absl::StatusOr<p::Progress> pr = p::Progress::FromJson(Get(*store_, p::ProgressKey(id)));
      if (!pr.ok() || pr->gen != current_.gen) continue;
      progress_[id] = *pr;
      if (!pr->load.empty()) loads_ = pr->load;
      if (pr->step > gen_last_step_) {
        const double now = Elapsed();
        if (gen_last_step_ >= 0) {  // step time within a generation: the scale of the hang timeout
          const double dt = (now - gen_last_step_time_) / static_cast<double>(pr->step - gen_last_step_);
          step_seconds_ = step_seconds_ <= 0 ? dt : 0.8 * step_seconds_ + 0.2 * dt;
        }
        gen_last_step_time_ = now;
        gen_last_step_ = pr->step;
        const bool first_of_gen = last_gen_seen_ != current_.gen;
        last_gen_seen_ = current_.gen;
        if (first_train_step_ < 0) first_train_step_ = Elapsed();
        last_step_ = pr->step;
        last_loss_ = pr->loss;
        train_seconds_ = Elapsed() - first_train_step_;
        if (recovery_started_ >= 0) {
          const double seconds = WallSeconds() - recovery_started_;
          summary_.recovery_seconds.push_back(seconds);
          out_ << absl::StrFormat("[%7.2fs] recovered: step %d applied %.2f s after the failure\n", Elapsed(),
                                  pr->step, seconds);
          recovery_started_ = -1;
        }
        if (first_of_gen || pr->step % o_.print_every == 0) {
          out_ << absl::StrFormat("[%7.2fs] step %4d  loss %.4f  gen %d  world %d\n", Elapsed(), pr->step,
                                  pr->loss, current_.gen, current_.members.size());
        }
      }
    }
  }

  bool AllDone() {
    for (int id : current_.members) {
      if (!store_->check({p::DoneKey(id)})) return false;
    }
    return true;
  }

  // Injected failures: SIGKILL (--kills) or SIGSTOP (--stops: a hung worker,
  // left for the heartbeat timeout to find).
  void InjectFailures() {
    for (const auto& [list, signal] : {std::pair{&o_.kills, SIGKILL}, std::pair{&o_.stops, SIGSTOP}}) {
      for (auto it = list->begin(); it != list->end();) {
        // The cluster is starting step `step` once step - 1 is applied.
        if (last_step_ + 1 < it->second || !pids_.count(it->first)) {
          ++it;
          continue;
        }
        if (signal == SIGKILL) {
          Kill(it->first);
        } else {
          kill(pids_[it->first], signal);
        }
        if (recovery_started_ < 0) recovery_started_ = WallSeconds();
        out_ << absl::StrFormat("[%7.2fs] %s worker %d (rank %d) at step %d\n", Elapsed(),
                                signal == SIGKILL ? "SIGKILL" : "SIGSTOP", it->first,
                                current_.RankOf(it->first), last_step_ + 1);
        it = list->erase(it);
      }
    }
  }

  // Seconds without a heartbeat after which a live worker counts as hung: the
  // flag's floor, or ten measured steps when the machine is slower than that.
  double HangTimeout() const { return std::max(o_.heartbeat_timeout_s, 10 * step_seconds_); }

  double HeartbeatAge(int id) {
    if (!store_->check({p::HeartbeatKey(id)})) return 0;  // still starting
    double beat = 0;
    absl::SimpleAtod(Get(*store_, p::HeartbeatKey(id)), &beat);
    return WallSeconds() - beat / 1000.0;
  }

  // The controller launched every worker, so a process that died is known at
  // once and for certain (waitpid), without asking the store; heartbeats only
  // catch hung workers.
  bool Exited(int id) {
    if (exited_.count(id)) return true;
    auto it = pids_.find(id);
    int status = 0;
    if (it == pids_.end() || waitpid(it->second, &status, WNOHANG) != it->second) return false;
    pids_.erase(it);
    exited_.insert(id);
    out_ << absl::StrFormat("[%7.2fs] worker %d exited (%s %d)\n", Elapsed(), id,
                            WIFSIGNALED(status) ? "signal" : "status",
                            WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    return true;
  }

  void Kill(int id) {
    if (auto it = pids_.find(id); it != pids_.end()) {
      kill(it->second, SIGKILL);
      waitpid(it->second, nullptr, 0);
      pids_.erase(it);
    }
    exited_.insert(id);
  }

  // A hung worker, or one alive that never reports a peer's failure, is
  // treated as failed: killed, then recovered from like any other loss.
  void KillUnresponsive(int id, const std::string& why) {
    out_ << absl::StrFormat("[%7.2fs] worker %d %s; SIGKILL, recovering without it\n", Elapsed(), id, why);
    Kill(id);
    ++summary_.hung_killed;
  }

  // Joins (spec §1, elastic scaling): the standby enters at its step. The
  // members stop before it (Generation::switch_before_step) until the standby
  // has registered; a join whose step already passed is applied at once.
  absl::Status MaybeJoin() {
    if (standbys_.empty() || machine_.phase() != RecoveryMachine::Phase::kCommitted) return absl::OkStatus();
    const Standby next = standbys_.front();
    const bool scheduled = current_.switch_before_step == next.step;
    if (Exited(next.id)) {
      standbys_.pop_front();
      out_ << absl::StrFormat("[%7.2fs] standby worker %d is gone; join at step %d abandoned\n", Elapsed(),
                              next.id, next.step);
      // Parked members go on in a generation without the switch.
      return scheduled ? Change(current_.members, {}) : absl::OkStatus();
    }
    // Scheduled or late, the join is planned once the step before it is applied.
    if (last_step_ + 1 < next.step) return absl::OkStatus();
    if (!store_->check({p::JoinedKey(next.id)})) {
      if (!waiting_logged_) {
        out_ << absl::StrFormat("[%7.2fs] waiting for worker %d to register before step %d\n", Elapsed(),
                                next.id, next.step);
        waiting_logged_ = true;
      }
      return absl::OkStatus();
    }
    standbys_.pop_front();
    waiting_logged_ = false;
    out_ << absl::StrFormat("[%7.2fs] worker %d joins at step %d\n", Elapsed(), next.id,
                            scheduled ? next.step : last_step_ + 1);
    std::vector<int> available = current_.members;
    available.push_back(next.id);
    ++summary_.joins;
    return Change(available, {next.id});
  }

  // Periodic rebalancing (spec §1, load monitor): a new plan for the same
  // workers from the latest routing loads; applied lazily at a step boundary.
  absl::Status MaybeRebalance() {
    // Not while a join's switch is scheduled: its generation comes next.
    if (o_.rebalance_every <= 0 || current_.switch_before_step >= 0 || loads_.empty() ||
        machine_.phase() != RecoveryMachine::Phase::kCommitted)
      return absl::OkStatus();
    if (last_step_ < next_rebalance_) return absl::OkStatus();
    next_rebalance_ = last_step_ + o_.rebalance_every;
    if (last_step_ + 1 >= o_.worker.steps) return absl::OkStatus();
    ++summary_.rebalances;
    return Change(current_.members, {});
  }

  // Phase two: once every member has acknowledged the generation it is
  // committed, and its members start training. Not while a member is known
  // dead: that is a failure during recovery, for MaybeRecover.
  absl::Status MaybeCommit() {
    if (machine_.phase() != RecoveryMachine::Phase::kPreparing) return absl::OkStatus();
    for (int id : current_.members) {
      if (Exited(id)) return absl::OkStatus();
    }
    for (int id : current_.members) {
      if (acked_.count(id) || !store_->check({p::AckKey(current_.gen, id)})) continue;
      if (!recovery_kills_due_.empty()) {  // --recovery_kills: mid-recovery, once some member is configured
        KillDuringRecovery();
        return absl::OkStatus();
      }
      absl::StatusOr<p::Holding> holding = p::Holding::FromJson(Get(*store_, p::AckKey(current_.gen, id)));
      if (!holding.ok()) return holding.status();
      absl::StatusOr<bool> committed = machine_.Acknowledge(current_.gen, id, *holding);
      if (!committed.ok()) return committed.status();
      acked_.insert(id);
      if (*committed) {
        Set(*store_, p::CommitKey(current_.gen), "1");
        out_ << absl::StrFormat("[%7.2fs] generation %d committed: every member acknowledged what it holds\n",
                                Elapsed(), current_.gen);
      }
    }
    return absl::OkStatus();
  }

  // --recovery_kills: SIGKILL the next listed member of a recovery's
  // generation after some member has configured it, before it commits.
  void KillDuringRecovery() {
    while (!recovery_kills_due_.empty()) {
      const int id = recovery_kills_due_.front();
      recovery_kills_due_.pop_front();
      if (current_.RankOf(id) < 0 || !pids_.count(id)) continue;
      Kill(id);
      out_ << absl::StrFormat(
          "[%7.2fs] SIGKILL worker %d during recovery (generation %d not yet committed)\n", Elapsed(), id,
          current_.gen);
      return;
    }
  }

  Standing Settle(int id) {
    Observation o;
    o.done = store_->check({p::DoneKey(id)});
    o.exited = !o.done && Exited(id);
    o.reported = store_->check({p::FailedKey(current_.gen, id)});
    const bool committed = machine_.phase() == RecoveryMachine::Phase::kCommitted;
    o.acknowledged = !committed && store_->check({p::AckKey(current_.gen, id)});  // counts only then
    o.heartbeat_age_s = HeartbeatAge(id);
    const Standing standing = Classify(o, committed, HangTimeout());
    if (standing != Standing::kHung) return standing;
    KillUnresponsive(
        id, absl::StrFormat("sent no heartbeat for %.1f s (limit %.1f s)", o.heartbeat_age_s, HangTimeout()));
    return Standing::kGone;
  }

  // What a survivor holds: its failure report, else its acknowledgement.
  absl::StatusOr<p::Holding> HoldingOf(int id) {
    const std::string key = store_->check({p::FailedKey(current_.gen, id)}) ? p::FailedKey(current_.gen, id)
                                                                            : p::AckKey(current_.gen, id);
    return p::Holding::FromJson(Get(*store_, key));
  }

  // A failure is certain before recovery starts: a member reported a failed
  // collective, its process exited, or it hung and was killed. Every other
  // member then reports (its collectives fail), has acknowledged a generation
  // still being prepared, exits, or is treated as hung. The machine plans the
  // next generation from what the survivors hold.
  absl::Status MaybeRecover() {
    bool failure = false;
    for (int id : current_.members) {
      const Standing s = Settle(id);
      failure |= s == Standing::kGone ||
                 (s == Standing::kSurvivor && store_->check({p::FailedKey(current_.gen, id)}));
    }
    if (!failure) return absl::OkStatus();
    if (recovery_started_ < 0) recovery_started_ = WallSeconds();
    const double wait_until = Elapsed() + o_.worker.collective_timeout_ms / 1000.0 + HangTimeout() + 1.0;
    std::vector<int> survivors, pending;
    while (true) {
      survivors.clear();
      pending.clear();
      for (int id : current_.members) {
        const Standing s = Settle(id);
        if (s == Standing::kSurvivor) survivors.push_back(id);
        if (s == Standing::kPending) pending.push_back(id);
      }
      if (pending.empty()) break;
      if (Elapsed() > wait_until) {
        for (int id : pending) KillUnresponsive(id, "is alive but never reported the failure");
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // Nodes leave whole: the other workers of a node that lost one go with it.
    if (o_.ranks_per_node > 1) {
      std::set<int> broken;
      for (int id : current_.members) {
        if (std::find(survivors.begin(), survivors.end(), id) == survivors.end())
          broken.insert(id / o_.ranks_per_node);
      }
      for (auto it = survivors.begin(); it != survivors.end();) {
        if (!broken.count(*it / o_.ranks_per_node)) {
          ++it;
          continue;
        }
        out_ << absl::StrFormat("[%7.2fs] worker %d leaves with its node %d\n", Elapsed(), *it,
                                *it / o_.ranks_per_node);
        Kill(*it);
        it = survivors.erase(it);
      }
    }
    std::map<int, p::Holding> holdings;
    std::vector<std::string> applied_by;  // "worker:step" of each survivor, for the timeline
    for (int id : survivors) {
      absl::StatusOr<p::Holding> h = HoldingOf(id);
      if (!h.ok()) return h.status();
      holdings[id] = *h;
      applied_by.push_back(h->has_state ? absl::StrCat(id, ":", h->applied) : absl::StrCat(id, ":new"));
    }
    for (int id : current_.members) {
      if (!holdings.count(id)) Kill(id);
    }
    const bool during_recovery = machine_.phase() == RecoveryMachine::Phase::kPreparing;
    absl::StatusOr<RecoveryMachine::Recovery> r = machine_.Fail(holdings, loads_);
    if (!r.ok()) return r.status();
    summary_.failures += r->lost;
    out_ << absl::StrFormat(
        "[%7.2fs] failure%s: %d worker(s) lost, %d survive (worker:last applied step %s)\n", Elapsed(),
        during_recovery ? " during recovery" : "", r->lost, survivors.size(), absl::StrJoin(applied_by, " "));
    // One survivor's view of the failure: the error of its failed collective.
    for (int id : survivors) {
      if (!store_->check({p::FailureReasonKey(current_.gen, id)})) continue;
      out_ << absl::StrFormat("           worker %d saw: %s\n", id,
                              Get(*store_, p::FailureReasonKey(current_.gen, id)));
      break;
    }
    ++summary_.recoveries;
    if (r->dropped_step >= 0) summary_.dropped_steps.push_back(r->dropped_step);
    if (r->generation.from_checkpoint) ++summary_.checkpoint_reads;
    summary_.experts_moved += static_cast<int64_t>(r->generation.transfers.size());
    Publish(r->generation);
    const p::Generation& g = current_;
    std::string how;
    if (g.from_checkpoint) {
      how = ", reloading the checkpoint";
    } else {
      if (g.catch_up_source >= 0)
        how = absl::StrFormat(", worker %d's summed gradients bring step %d to those behind",
                              g.members[g.catch_up_source], g.state_step);
      how += absl::StrFormat(", step %d %s", g.state_step + 1, o_.retry_failed_step ? "retried" : "dropped");
    }
    out_ << absl::StrFormat("[%7.2fs] generation %d proposed: %d workers, %d expert replicas moved%s\n",
                            Elapsed(), g.gen, g.members.size(), g.transfers.size(), how);
    // --recovery_kills: the next one strikes while this generation is prepared.
    if (!recovery_kill_used_) {
      recovery_kills_due_.assign(o_.recovery_kills.begin(), o_.recovery_kills.end());
      recovery_kill_used_ = true;
    }
    return absl::OkStatus();
  }

  // A planned change (join, standby gone, rebalance) of the committed generation.
  absl::Status Change(const std::vector<int>& available, const std::vector<int>& joiners) {
    absl::StatusOr<p::Generation> g = machine_.Change(available, joiners, loads_);
    if (!g.ok()) return g.status();
    summary_.experts_moved += static_cast<int64_t>(g->transfers.size());
    Publish(*g);
    out_ << absl::StrFormat("[%7.2fs] generation %d proposed: %d workers, %d expert replicas moved\n",
                            Elapsed(), current_.gen, current_.members.size(), current_.transfers.size());
    return absl::OkStatus();
  }

  ControllerOptions o_;
  std::ostream& out_;
  RecoveryMachine machine_;
  std::set<int> acked_;                 // members whose ack of the current generation the machine has
  std::deque<int> recovery_kills_due_;  // --recovery_kills armed by the first recovery
  bool recovery_kill_used_ = false;
  Clock::time_point start_;
  c10::intrusive_ptr<c10d::TCPStore> store_;
  int port_ = 0;
  std::map<int, pid_t> pids_;
  std::set<int> ids_;
  p::Generation current_;
  struct Standby {
    int64_t step;
    int id;
  };
  std::deque<Standby> standbys_;  // launched joiners, by join step
  std::set<int> exited_;          // workers whose process is gone
  bool waiting_logged_ = false;
  double gen_last_step_time_ = 0, step_seconds_ = 0;
  int last_gen_seen_ = -1;
  std::map<int, p::Progress> progress_;
  std::vector<std::vector<int64_t>> loads_;
  int64_t last_step_ = -1, gen_last_step_ = -1;
  double last_loss_ = 0, gen_started_ = 0, first_train_step_ = -1, train_seconds_ = 0;
  double recovery_started_ = -1;
  int64_t next_rebalance_ = 0;
  RunSummary summary_;
};

}  // namespace

std::string RunSummary::ToJson() const {
  return nlohmann::json{{"steps", steps},
                        {"failures", failures},
                        {"recoveries", recoveries},
                        {"joins", joins},
                        {"rebalances", rebalances},
                        {"checkpoint_reads", checkpoint_reads},
                        {"hung_killed", hung_killed},
                        {"recovery_seconds", recovery_seconds},
                        {"dropped_steps", dropped_steps},
                        {"experts_moved", experts_moved},
                        {"final_loss", final_loss},
                        {"final_world", final_world},
                        {"seconds", seconds},
                        {"tokens_per_second", tokens_per_second},
                        {"min_gate_margin", min_gate_margin}}
      .dump();
}

absl::StatusOr<RunSummary> RunController(const ControllerOptions& options, std::ostream& out) {
  Controller controller(options, out);
  return controller.Run();
}

}  // namespace warden::lazarus
