#include "distributed/lazarus/runtime/messages.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace warden::lazarus {

std::string ExpertName(const ExpertKey& key) { return absl::StrCat("L", key.first, ".E", key.second); }

namespace protocol {
namespace {

// True when no number anywhere in `j` is a float: integer fields are read
// with nlohmann's get<int>, and a float out of int's range would be cast
// with undefined behaviour, so such documents are refused up front.
bool NoFloats(const nlohmann::json& j) {
  if (j.is_number_float()) return false;
  if (j.is_structured()) {
    for (const auto& item : j) {
      if (!NoFloats(item)) return false;
    }
  }
  return true;
}

}  // namespace

std::string Generation::ToJson() const {
  nlohmann::json t = nlohmann::json::array();
  for (const Transfer& x : transfers) t.push_back({x.layer, x.expert, x.from_rank, x.to_rank});
  return nlohmann::json{{"gen", gen},
                        {"members", members},
                        {"plan", plan},
                        {"transfers", t},
                        {"dense_source", dense_source},
                        {"state_step", state_step},
                        {"catch_up_source", catch_up_source},
                        {"resume_step", resume_step},
                        {"from_checkpoint", from_checkpoint},
                        {"switch_before_step", switch_before_step}}
      .dump();
}

absl::StatusOr<Generation> Generation::FromJson(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::InvalidArgumentError("generation config: not a JSON object");
  if (!NoFloats(j)) return absl::InvalidArgumentError("generation config: a number is not an integer");
  try {
    Generation g;
    g.gen = j.at("gen");
    g.members = j.at("members").get<std::vector<int>>();
    g.plan = j.at("plan").get<ReplicaPlan>();
    for (const auto& x : j.at("transfers")) g.transfers.push_back({x.at(0), x.at(1), x.at(2), x.at(3)});
    g.dense_source = j.at("dense_source");
    g.state_step = j.at("state_step");
    g.catch_up_source = j.at("catch_up_source");
    g.resume_step = j.at("resume_step");
    g.from_checkpoint = j.at("from_checkpoint");
    g.switch_before_step = j.at("switch_before_step");
    for (const auto& layer : g.plan) {
      for (const auto& row : layer) {
        if (row.size() != g.members.size())
          return absl::InvalidArgumentError("generation config: plan/member mismatch");
      }
    }
    const int world = static_cast<int>(g.members.size());
    if (g.dense_source < 0 || g.dense_source >= world || g.catch_up_source >= world)
      return absl::InvalidArgumentError("generation config: source rank out of range");
    for (const Transfer& t : g.transfers) {
      if (t.from_rank < 0 || t.from_rank >= world || t.to_rank < 0 || t.to_rank >= world)
        return absl::InvalidArgumentError("generation config: transfer rank out of range");
    }
    return g;
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(std::string("generation config: ") + e.what());
  }
}

int Generation::RankOf(int id) const {
  for (size_t r = 0; r < members.size(); ++r) {
    if (members[r] == id) return static_cast<int>(r);
  }
  return -1;
}

std::vector<ExpertKey> Generation::ExpertsOf(int rank) const {
  std::vector<ExpertKey> keys;
  for (size_t l = 0; l < plan.size(); ++l) {
    for (size_t e = 0; e < plan[l].size(); ++e) {
      if (plan[l][e][rank] > 0) keys.push_back({static_cast<int64_t>(l), static_cast<int64_t>(e)});
    }
  }
  return keys;
}

std::string Holding::ToJson() const {
  return nlohmann::json{
      {"has_state", has_state}, {"applied", applied}, {"reduced_step", reduced_step}, {"experts", experts}}
      .dump();
}

absl::StatusOr<Holding> Holding::FromJson(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::InvalidArgumentError("holding: not a JSON object");
  if (!NoFloats(j)) return absl::InvalidArgumentError("holding: a number is not an integer");
  try {
    Holding h;
    h.has_state = j.at("has_state");
    h.applied = j.at("applied");
    h.reduced_step = j.at("reduced_step");
    h.experts = j.at("experts").get<std::vector<ExpertKey>>();
    return h;
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(std::string("holding: ") + e.what());
  }
}

std::string Progress::ToJson() const {
  return nlohmann::json{{"gen", gen},
                        {"step", step},
                        {"loss", loss},
                        {"time", time},
                        {"rows_sent", rows_sent},
                        {"load", load},
                        {"min_gate_margin", min_gate_margin}}
      .dump();
}

absl::StatusOr<Progress> Progress::FromJson(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::InvalidArgumentError("progress: not a JSON object");
  for (const char* key : {"gen", "step", "rows_sent", "load"}) {
    if (j.contains(key) && !NoFloats(j[key]))
      return absl::InvalidArgumentError(absl::StrCat("progress: \"", key, "\" is not an integer"));
  }
  try {
    Progress p;
    p.gen = j.at("gen");
    p.step = j.at("step");
    p.loss = j.at("loss");
    p.time = j.at("time");
    p.rows_sent = j.at("rows_sent");
    p.load = j.at("load").get<std::vector<std::vector<int64_t>>>();
    p.min_gate_margin = j.value("min_gate_margin", 0.0);
    return p;
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(std::string("progress: ") + e.what());
  }
}

}  // namespace protocol
}  // namespace warden::lazarus
