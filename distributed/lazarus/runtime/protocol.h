// What the Lazarus controller and its workers say to each other through the
// controller's c10d TCPStore (spec §1): the keys of registration, heartbeats,
// per-step progress, failure reports, acknowledgements and commits, and one
// configuration per generation. The messages themselves: messages.h.
#ifndef WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_PROTOCOL_H_
#define WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_PROTOCOL_H_

#include <cstdint>
#include <string>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <vector>

#include "distributed/lazarus/runtime/messages.h"

namespace warden::lazarus::protocol {

// A store value as text, and text into the store (every message here is text).
std::string Get(c10d::Store& store, const std::string& key);
void Set(c10d::Store& store, const std::string& key, const std::string& value);

inline std::string HeartbeatKey(int id) { return "hb/" + std::to_string(id); }
inline std::string JoinedKey(int id) { return "joined/" + std::to_string(id); }
inline std::string ProgressKey(int id) { return "progress/" + std::to_string(id); }
inline std::string DoneKey(int id) { return "done/" + std::to_string(id); }
inline std::string GenerationKey(int gen) { return "gen/" + std::to_string(gen); }
inline std::string FailedKey(int gen, int id) {
  return "gen/" + std::to_string(gen) + "/failed/" + std::to_string(id);
}
// The error of the collective that failed (first line), beside FailedKey.
inline std::string FailureReasonKey(int gen, int id) { return FailedKey(gen, id) + "/reason"; }
// Two-phase commit of a generation: each member acknowledges what it holds
// once configured (phase one); the controller commits the generation when
// every member has (phase two), and only then does anyone train in it.
inline std::string AckKey(int gen, int id) {
  return "gen/" + std::to_string(gen) + "/ack/" + std::to_string(id);
}
inline std::string CommitKey(int gen) { return "gen/" + std::to_string(gen) + "/commit"; }
inline constexpr char kLatestGeneration[] = "gen";
// The options every worker shares, one JSON document (worker_options.h),
// written by the controller before it launches any worker.
inline constexpr char kWorkerConfig[] = "worker_config";

}  // namespace warden::lazarus::protocol

#endif  // WARDEN_DISTRIBUTED_LAZARUS_RUNTIME_PROTOCOL_H_
