#include "distributed/lazarus/runtime/worker_options.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "components/tensor/text_datasets.h"

namespace warden::lazarus {

std::string WorkerConfigJson(const WorkerOptions& o) {
  const MoeConfig& m = o.train.model;
  const nlohmann::json json = {
      {"steps", o.steps},
      {"model",
       {{"context", m.context},
        {"width", m.width},
        {"heads", m.heads},
        {"layers", m.layers},
        {"experts", m.experts},
        {"expert_hidden", m.expert_hidden},
        {"top_k", m.top_k},
        {"gate_skew", m.gate_skew}}},
      {"global_batch", o.train.global_batch},
      {"lr", o.train.learning_rate},
      {"seed", o.train.seed},
      {"checkpoint", o.checkpoint},
      {"checkpoint_every", o.checkpoint_every},
      {"collective_timeout_ms", o.collective_timeout_ms},
      {"final_state", o.final_state},
      {"skip_steps", o.skip_steps},
      {"backend", o.backend},
      {"device", o.device},
      {"reduce_faults", o.reduce_faults},
  };
  return json.dump();
}

namespace {

// Reads `key` of `object` into `target` when present; an unknown key or a
// value of the wrong type is an error naming it.
template <typename T>
absl::Status Take(const nlohmann::json& object, const std::string& key, T* target,
                  std::set<std::string>* seen) {
  seen->insert(key);
  const auto it = object.find(key);
  if (it == object.end()) return absl::OkStatus();
  try {
    *target = it->get<T>();
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("worker config: \"", key, "\": ", e.what()));
  }
  return absl::OkStatus();
}

absl::Status NoOthers(const nlohmann::json& object, const std::set<std::string>& seen,
                      const std::string& where) {
  for (const auto& item : object.items()) {
    if (seen.count(item.key()) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("worker config: unknown field \"", where, item.key(), "\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<WorkerOptions> WorkerOptionsFromJson(const std::string& text, int port, int id) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("worker config is not JSON: ", e.what()));
  }
  if (!json.is_object()) return absl::InvalidArgumentError("worker config: not a JSON object");
  WorkerOptions o;
  o.port = port;
  o.id = id;
  MoeConfig& m = o.train.model;
  std::set<std::string> seen, model_seen;
  for (absl::Status s :
       {Take(json, "steps", &o.steps, &seen), Take(json, "global_batch", &o.train.global_batch, &seen),
        Take(json, "lr", &o.train.learning_rate, &seen), Take(json, "seed", &o.train.seed, &seen),
        Take(json, "checkpoint", &o.checkpoint, &seen),
        Take(json, "checkpoint_every", &o.checkpoint_every, &seen),
        Take(json, "collective_timeout_ms", &o.collective_timeout_ms, &seen),
        Take(json, "final_state", &o.final_state, &seen), Take(json, "skip_steps", &o.skip_steps, &seen),
        Take(json, "backend", &o.backend, &seen), Take(json, "device", &o.device, &seen),
        Take(json, "reduce_faults", &o.reduce_faults, &seen)}) {
    if (!s.ok()) return s;
  }
  seen.insert("model");
  if (json.contains("model")) {
    const nlohmann::json& model = json["model"];
    if (!model.is_object()) return absl::InvalidArgumentError("worker config: \"model\" is not an object");
    for (absl::Status s :
         {Take(model, "context", &m.context, &model_seen), Take(model, "width", &m.width, &model_seen),
          Take(model, "heads", &m.heads, &model_seen), Take(model, "layers", &m.layers, &model_seen),
          Take(model, "experts", &m.experts, &model_seen),
          Take(model, "expert_hidden", &m.expert_hidden, &model_seen),
          Take(model, "top_k", &m.top_k, &model_seen), Take(model, "gate_skew", &m.gate_skew, &model_seen)}) {
      if (!s.ok()) return s;
    }
    if (absl::Status s = NoOthers(model, model_seen, "model."); !s.ok()) return s;
  }
  if (absl::Status s = NoOthers(json, seen, ""); !s.ok()) return s;
  if (o.backend != "gloo" && o.backend != "nccl") {
    return absl::InvalidArgumentError(
        absl::StrCat("worker config: backend \"", o.backend, "\" (gloo or nccl)"));
  }
  if (o.device != "cpu" && o.device != "cuda") {
    return absl::InvalidArgumentError(absl::StrCat("worker config: device \"", o.device, "\" (cpu or cuda)"));
  }
  if (o.backend == "nccl") o.device = "cuda";
  if (o.port <= 0 || o.port > 65535 || m.heads < 1 || m.width % m.heads != 0 || m.top_k < 1 ||
      m.top_k > m.experts || o.train.global_batch < 1 || o.steps < 0) {
    return absl::InvalidArgumentError(
        "worker config: need a port, width divisible by heads, 1 <= top_k <= experts, global_batch >= 1");
  }
  return o;
}

std::vector<std::string> WorkerArgs(const WorkerAddress& address) {
  return {absl::StrCat("--port=", address.port), absl::StrCat("--id=", address.id)};
}

absl::StatusOr<WorkerAddress> ParseWorkerArgs(int argc, char** argv) {
  WorkerAddress address;
  bool port = false, id = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    int* target = nullptr;
    if (arg.rfind("--port=", 0) == 0) {
      target = &address.port;
      port = true;
    } else if (arg.rfind("--id=", 0) == 0) {
      target = &address.id;
      id = true;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown argument \"", arg,
                       "\": a worker takes only --port and --id (its options come from the store)"));
    }
    if (!absl::SimpleAtoi(arg.substr(arg.find('=') + 1), target)) {
      return absl::InvalidArgumentError(absl::StrCat("bad value in \"", arg, "\""));
    }
  }
  if (!port || !id || address.port <= 0 || address.port > 65535 || address.id < 0) {
    return absl::InvalidArgumentError("usage: lazarus_worker --port=P --id=I");
  }
  return address;
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
