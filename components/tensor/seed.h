// Seeds for independent, reproducible random streams. Portable (no torch).
//
// Every random choice in Warden takes a seed. A run's root seed is split into
// streams — one per rank, per purpose (init, data order, noise) — with
// StreamSeed, so two ranks never share a stream and adding a stream never
// shifts another.
#ifndef WARDEN_COMPONENTS_TENSOR_SEED_H_
#define WARDEN_COMPONENTS_TENSOR_SEED_H_

#include <cstdint>

namespace warden::tensor {

// SplitMix64's output function: a bijection on 64-bit integers that mixes
// every input bit into every output bit.
constexpr uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The seed of stream `stream` under `seed`. Distinct streams of one seed give
// distinct seeds (Mix64 is a bijection); chain calls for nested streams, e.g.
// StreamSeed(StreamSeed(seed, rank), kNoiseStream).
constexpr uint64_t StreamSeed(uint64_t seed, uint64_t stream) {
  return Mix64(Mix64(seed) ^ (stream * 0xd1342543de82ef95ULL + 0x632be59bd9b4e019ULL));
}

}  // namespace warden::tensor

#endif  // WARDEN_COMPONENTS_TENSOR_SEED_H_
