// libFuzzer target for the Lazarus messages (runtime/messages.h): any bytes
// as a generation config, a holding and a progress report must parse or be
// refused without crashing; what parses must serialize and parse back to the
// same document, and a generation's ranks must be safe to query.
#include <cstddef>
#include <cstdint>
#include <string>

#include "distributed/lazarus/runtime/messages.h"

namespace p = warden::lazarus::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (absl::StatusOr<p::Generation> g = p::Generation::FromJson(text); g.ok()) {
    const std::string again = g->ToJson();
    absl::StatusOr<p::Generation> back = p::Generation::FromJson(again);
    if (!back.ok() || back->ToJson() != again) __builtin_trap();
    for (size_t rank = 0; rank < g->members.size(); ++rank) {
      (void)g->ExpertsOf(static_cast<int>(rank));
      if (g->RankOf(g->members[rank]) < 0) __builtin_trap();
    }
  }
  if (absl::StatusOr<p::Holding> h = p::Holding::FromJson(text); h.ok()) {
    absl::StatusOr<p::Holding> back = p::Holding::FromJson(h->ToJson());
    if (!back.ok() || back->ToJson() != h->ToJson()) __builtin_trap();
  }
  if (absl::StatusOr<p::Progress> pr = p::Progress::FromJson(text); pr.ok()) {
    if (!p::Progress::FromJson(pr->ToJson()).ok()) __builtin_trap();
  }
  return 0;
}
