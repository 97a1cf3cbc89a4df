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
#include "distributed/lazarus/allocation.h"
#include "distributed/lazarus/reconfigure.h"

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
  Controller(const ControllerOptions& options, std::ostream& out) : o_(options), out_(out) {}

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

    absl::StatusOr<std::vector<Placement>> layers =
        PlanLayers(o_.worker.train.model, {}, o_.ranks, o_.slots, o_.fault_tolerance);
    if (!layers.ok()) return layers.status();
    p::Generation g;
    g.members = initial;
    g.plan = ToReplicaPlan(*layers, static_cast<int>(o_.worker.train.model.experts));
    Publish(g, *layers);
    next_rebalance_ = o_.rebalance_every;

    while (true) {
      if (Elapsed() > o_.deadline_s)
        return absl::DeadlineExceededError("training did not finish before the deadline");
      Poll();
      if (AllDone()) break;
      InjectFailures();
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

  absl::Status AwaitJoined(const std::vector<int>& ids) {
    std::vector<std::string> keys;
    for (int id : ids) keys.push_back(p::JoinedKey(id));
    try {
      store_->wait(keys, std::chrono::seconds(60));
    } catch (const std::exception& e) {
      return absl::DeadlineExceededError(absl::StrCat("workers did not register: ", e.what()));
    }
    return absl::OkStatus();
  }

  void Publish(p::Generation g, const std::vector<Placement>& layers) {
    g.gen = next_gen_++;
    // The next join's step, if still ahead: this generation's members stop
    // before it and wait for the generation that includes the joiner.
    if (!standbys_.empty() && standbys_.front().step > last_step_ + 1)
      g.switch_before_step = standbys_.front().step;
    Set(*store_, p::GenerationKey(g.gen), g.ToJson());
    Set(*store_, p::kLatestGeneration, absl::StrCat(g.gen));
    current_ = g;
    layers_ = layers;
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
    if (standbys_.empty()) return absl::OkStatus();
    const Standby next = standbys_.front();
    const bool scheduled = current_.switch_before_step == next.step;
    if (Exited(next.id)) {
      standbys_.pop_front();
      out_ << absl::StrFormat("[%7.2fs] standby worker %d is gone; join at step %d abandoned\n", Elapsed(),
                              next.id, next.step);
      // Parked members go on in a generation without the switch.
      return scheduled ? Reconfigure(current_.members, /*failed=*/false, -1, {}) : absl::OkStatus();
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
    return Reconfigure(available, /*failed=*/false, -1, {next.id});
  }

  // Periodic rebalancing (spec §1, load monitor): a new plan for the same
  // workers from the latest routing loads; applied lazily at a step boundary.
  absl::Status MaybeRebalance() {
    // Not while a join's switch is scheduled: its generation comes next.
    if (o_.rebalance_every <= 0 || current_.switch_before_step >= 0 || loads_.empty())
      return absl::OkStatus();
    if (last_step_ < next_rebalance_) return absl::OkStatus();
    next_rebalance_ = last_step_ + o_.rebalance_every;
    if (last_step_ + 1 >= o_.worker.steps) return absl::OkStatus();
    ++summary_.rebalances;
    return Reconfigure(current_.members, /*failed=*/false, -1, {});
  }

  enum class Member { kReported, kGone, kSilent };

  // Where a member of the current generation stands in a failure: gone
  // (exited, or hung and now killed), reported its failed collective, or
  // silent (alive and said nothing, or finished). Gone is checked first: a
  // worker may report a peer's failure and then die itself (two kills in a
  // row), and must not count as a survivor.
  Member Settle(int id) {
    if (store_->check({p::DoneKey(id)})) return Member::kSilent;  // finished, whether or not still running
    if (Exited(id)) return Member::kGone;
    if (store_->check({p::FailedKey(current_.gen, id)})) return Member::kReported;
    if (HeartbeatAge(id) > HangTimeout()) {
      KillUnresponsive(id, absl::StrFormat("sent no heartbeat for %.1f s (limit %.1f s)", HeartbeatAge(id),
                                           HangTimeout()));
      return Member::kGone;
    }
    return Member::kSilent;
  }

  // A failure is certain before recovery starts: a member reported a failed
  // collective, its process exited, or it hung and was killed. Every other
  // member then reports (its collectives fail), exits, or is treated as hung.
  absl::Status MaybeRecover() {
    bool failure = false;
    for (int id : current_.members) failure |= Settle(id) != Member::kSilent;
    if (!failure) return absl::OkStatus();
    if (recovery_started_ < 0) recovery_started_ = WallSeconds();
    const double wait_until = Elapsed() + o_.worker.collective_timeout_ms / 1000.0 + HangTimeout() + 1.0;
    std::vector<int> survivors, silent;
    std::vector<std::string> applied_by;  // "worker:step" of each survivor, for the timeline
    int64_t min_applied = std::numeric_limits<int64_t>::max();
    while (true) {
      survivors.clear();
      silent.clear();
      applied_by.clear();
      min_applied = std::numeric_limits<int64_t>::max();
      for (int id : current_.members) {
        switch (Settle(id)) {
          case Member::kReported: {
            int64_t applied = -1;
            absl::SimpleAtoi(Get(*store_, p::FailedKey(current_.gen, id)), &applied);
            min_applied = std::min(min_applied, applied);
            survivors.push_back(id);
            applied_by.push_back(absl::StrCat(id, ":", applied));
            break;
          }
          case Member::kSilent:
            silent.push_back(id);
            break;
          case Member::kGone:
            break;
        }
      }
      if (silent.empty()) break;
      if (Elapsed() > wait_until) {
        for (int id : silent) KillUnresponsive(id, "is alive but never reported the failure");
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const int lost = static_cast<int>(current_.members.size() - survivors.size());
    summary_.failures += lost;
    for (int id : current_.members) {
      if (std::find(survivors.begin(), survivors.end(), id) == survivors.end()) Kill(id);
    }
    if (survivors.empty()) return absl::UnavailableError("every worker failed");
    out_ << absl::StrFormat("[%7.2fs] failure: %d worker(s) lost, %d survive; last applied step %d (%s)\n",
                            Elapsed(), lost, survivors.size(), min_applied, absl::StrJoin(applied_by, " "));
    // One survivor's view of the failure: the error of its failed collective.
    const int witness = survivors.front();
    if (store_->check({p::FailureReasonKey(current_.gen, witness)})) {
      out_ << absl::StrFormat("           worker %d saw: %s\n", witness,
                              Get(*store_, p::FailureReasonKey(current_.gen, witness)));
    }
    ++summary_.recoveries;
    return Reconfigure(survivors, /*failed=*/true, min_applied, {});
  }

  absl::Status Reconfigure(const std::vector<int>& available, bool failed, int64_t min_applied,
                           const std::vector<int>& joiners) {
    const int n = static_cast<int>(available.size());
    const int experts = static_cast<int>(o_.worker.train.model.experts);
    absl::StatusOr<std::vector<Placement>> layers =
        PlanLayers(o_.worker.train.model, loads_, n, o_.slots, o_.fault_tolerance);
    if (!layers.ok()) return layers.status();
    absl::StatusOr<Reconfiguration> r =
        PlanReconfiguration(layers_, current_.members, *layers, available, experts);
    if (!r.ok()) return r.status();
    p::Generation g;
    g.members = r->plan_to_physical;
    g.plan = ToReplicaPlan(*layers, experts);
    for (int rank = 0; rank < n; ++rank) {
      if (std::find(joiners.begin(), joiners.end(), g.members[rank]) == joiners.end()) {
        g.dense_source = rank;
        break;
      }
    }
    if (failed) {
      g.rollback_to = min_applied;
      g.resume_step = min_applied + (o_.retry_failed_step ? 1 : 2);
      if (!o_.retry_failed_step && !r->needs_checkpoint) summary_.dropped_steps.push_back(min_applied + 1);
    }
    if (r->needs_checkpoint) {
      if (o_.worker.checkpoint.empty() || o_.worker.checkpoint_every <= 0) {
        return absl::DataLossError("an expert lost every replica and no checkpoint is configured");
      }
      g.from_checkpoint = true;
      g.rollback_to = -1;
      g.resume_step = -1;  // after the checkpoint's step: every later step is redone, none dropped
      ++summary_.checkpoint_reads;
    } else {
      for (const ExpertTransfer& t : r->transfers) {
        const auto rank_of = [&](int id) {
          return static_cast<int>(std::find(g.members.begin(), g.members.end(), id) - g.members.begin());
        };
        g.transfers.push_back({t.layer, t.expert, rank_of(t.from_node), rank_of(t.to_node)});
      }
      summary_.experts_moved += static_cast<int64_t>(g.transfers.size());
    }
    Publish(g, *layers);
    out_ << absl::StrFormat(
        "[%7.2fs] generation %d: %d workers, %d expert replicas moved%s%s\n", Elapsed(), current_.gen, n,
        g.transfers.size(), g.from_checkpoint ? ", reloading the checkpoint" : "",
        failed && !g.from_checkpoint
            ? absl::StrFormat(", step %d %s", min_applied + 1, o_.retry_failed_step ? "retried" : "dropped")
            : "");
    return absl::OkStatus();
  }

  ControllerOptions o_;
  std::ostream& out_;
  Clock::time_point start_;
  c10::intrusive_ptr<c10d::TCPStore> store_;
  int port_ = 0;
  std::map<int, pid_t> pids_;
  std::set<int> ids_;
  p::Generation current_;
  std::vector<Placement> layers_;
  struct Standby {
    int64_t step;
    int id;
  };
  std::deque<Standby> standbys_;  // launched joiners, by join step
  std::set<int> exited_;          // workers whose process is gone
  bool waiting_logged_ = false;
  double gen_last_step_time_ = 0, step_seconds_ = 0;
  int next_gen_ = 0, last_gen_seen_ = -1;
  std::map<int, p::Progress> progress_;
  std::vector<std::vector<int64_t>> loads_;
  int64_t last_step_ = -1, gen_last_step_ = -1;
  double last_loss_ = 0, gen_started_ = 0, first_train_step_ = -1, train_seconds_ = 0;
  double recovery_started_ = -1;
  int64_t next_rebalance_ = 0;
  RunSummary summary_;
};

}  // namespace

absl::StatusOr<std::vector<Placement>> PlanLayers(const MoeConfig& model,
                                                  const std::vector<std::vector<int64_t>>& loads, int ranks,
                                                  int slots, int fault_tolerance) {
  std::vector<Placement> layers;
  for (int64_t l = 0; l < model.layers; ++l) {
    std::vector<double> load(model.experts, 1.0);
    if (static_cast<int64_t>(loads.size()) == model.layers) {
      for (int64_t e = 0; e < model.experts; ++e) load[e] = 1.0 + static_cast<double>(loads[l][e]);
    }
    absl::StatusOr<ReplicaAllocation> alloc = AllocateReplicas(load, ranks, slots, fault_tolerance);
    if (!alloc.ok()) return alloc.status();
    absl::StatusOr<Placement> placement = PlaceMro(alloc->replicas, ranks, slots);
    if (!placement.ok()) return placement.status();
    layers.push_back(*placement);
  }
  return layers;
}

ReplicaPlan ToReplicaPlan(const std::vector<Placement>& layers, int experts) {
  ReplicaPlan plan;
  for (const Placement& p : layers) {
    std::vector<std::vector<int>> layer(experts, std::vector<int>(p.num_nodes(), 0));
    for (int j = 0; j < p.num_nodes(); ++j) {
      for (int e : p.nodes[j]) layer[e][j] += 1;
    }
    plan.push_back(layer);
  }
  return plan;
}

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
