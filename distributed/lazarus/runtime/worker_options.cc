#include "distributed/lazarus/runtime/worker_options.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "components/tensor/text_datasets.h"

namespace warden::lazarus {

std::vector<std::string> WorkerArgs(const WorkerOptions& o) {
  const MoeConfig& m = o.train.model;
  return {absl::StrCat("--port=", o.port),
          absl::StrCat("--id=", o.id),
          absl::StrCat("--steps=", o.steps),
          absl::StrCat("--context=", m.context),
          absl::StrCat("--width=", m.width),
          absl::StrCat("--heads=", m.heads),
          absl::StrCat("--layers=", m.layers),
          absl::StrCat("--experts=", m.experts),
          absl::StrCat("--expert_hidden=", m.expert_hidden),
          absl::StrCat("--top_k=", m.top_k),
          absl::StrCat("--gate_skew=", m.gate_skew),
          absl::StrCat("--global_batch=", o.train.global_batch),
          absl::StrCat("--lr=", o.train.learning_rate),
          absl::StrCat("--seed=", o.train.seed),
          absl::StrCat("--checkpoint=", o.checkpoint),
          absl::StrCat("--backend=", o.backend),
          absl::StrCat("--device=", o.device),
          absl::StrCat("--checkpoint_every=", o.checkpoint_every),
          absl::StrCat("--collective_timeout_ms=", o.collective_timeout_ms),
          absl::StrCat("--final_state=", o.final_state),
          absl::StrCat("--skip_steps=", absl::StrJoin(o.skip_steps, ","))};
}

absl::StatusOr<WorkerOptions> ParseWorkerOptions(int argc, char** argv) {
  WorkerOptions o;
  MoeConfig& m = o.train.model;
  uint64_t seed = 0;
  int64_t port = 0, id = 0;
  const std::map<std::string, int64_t*> ints = {{"port", &port},
                                                {"id", &id},
                                                {"steps", &o.steps},
                                                {"context", &m.context},
                                                {"width", &m.width},
                                                {"heads", &m.heads},
                                                {"layers", &m.layers},
                                                {"experts", &m.experts},
                                                {"expert_hidden", &m.expert_hidden},
                                                {"top_k", &m.top_k},
                                                {"global_batch", &o.train.global_batch},
                                                {"checkpoint_every", &o.checkpoint_every},
                                                {"collective_timeout_ms", &o.collective_timeout_ms}};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("expected --name=value, got \"", arg, "\""));
    }
    const std::string name = arg.substr(2, eq - 2), value = arg.substr(eq + 1);
    bool ok = true;
    if (auto it = ints.find(name); it != ints.end()) {
      ok = absl::SimpleAtoi(value, it->second);
    } else if (name == "gate_skew") {
      ok = absl::SimpleAtod(value, &m.gate_skew);
    } else if (name == "lr") {
      ok = absl::SimpleAtod(value, &o.train.learning_rate);
    } else if (name == "seed") {
      ok = absl::SimpleAtoi(value, &seed);
    } else if (name == "backend") {
      o.backend = value;
      ok = value == "gloo" || value == "nccl";
    } else if (name == "device") {
      o.device = value;
      ok = value == "cpu" || value == "cuda";
    } else if (name == "checkpoint") {
      o.checkpoint = value;
    } else if (name == "final_state") {
      o.final_state = value;
    } else if (name == "skip_steps") {
      for (absl::string_view v : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        int64_t step = 0;
        ok = ok && absl::SimpleAtoi(v, &step);
        o.skip_steps.push_back(step);
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (!ok) return absl::InvalidArgumentError(absl::StrCat("bad value for --", name, ": \"", value, "\""));
  }
  o.port = static_cast<int>(port);
  o.id = static_cast<int>(id);
  o.train.seed = seed;
  if (o.backend == "nccl") o.device = "cuda";
  if (o.port <= 0 || o.port > 65535 || m.width % m.heads != 0 || m.top_k < 1 || m.top_k > m.experts ||
      o.train.global_batch < 1) {
    return absl::InvalidArgumentError(
        "need a port, width divisible by heads, 1 <= top_k <= experts, global_batch >= 1");
  }
  return o;
}

absl::StatusOr<ByteCorpus> LoadSotuCorpus() {
  absl::StatusOr<std::vector<std::string>> sentences = tensor::LoadSotuSentences();
  if (!sentences.ok()) return sentences.status();
  std::string text;
  for (const std::string& s : *sentences) {
    text += s;
    text += ' ';
  }
  return ByteCorpus(std::move(text));
}

std::string FinalStatePath(const std::string& final_state, int rank) {
  return rank == 0 ? final_state : absl::StrCat(final_state, ".rank", rank);
}

}  // namespace warden::lazarus
