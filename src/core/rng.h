// Rng: the project's random number generator (xoshiro256++, seeded through SplitMix64).
//
// Every random draw in the project comes from this generator and the samplers in
// distributions.h, never from std::*_distribution (whose output differs between standard
// libraries), so the same seed gives the same output on every machine. Independent streams
// (one per client, per thread, ...) are derived with ForStream(seed, stream), which makes results
// independent of how work is split across threads. Not thread-safe: one Rng per thread or stream.
#pragma once

#include <cstdint>
#include <string_view>

namespace llms {

class Rng {
 public:
  explicit Rng(uint64_t seed) { Seed(seed); }

  // A stream that depends only on (seed, stream): equal inputs give equal sequences.
  static Rng ForStream(uint64_t seed, uint64_t stream) {
    return Rng(Mix(seed ^ Mix(stream + 0x632be59bd9b4e019ULL)));
  }
  // Stable 64-bit hash of a string (FNV-1a then mixed), for naming streams by client id.
  static uint64_t HashString(std::string_view s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
    return Mix(h);
  }

  uint64_t NextU64() {
    const uint64_t result = Rotl(s_[0] + s_[3], 23) + s_[0];
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform on the open interval (0, 1): never 0, never 1, so log() and 1/x are always safe.
  double NextOpenUnit() { return (static_cast<double>(NextU64() >> 11) + 0.5) * 0x1.0p-53; }
  // Uniform integer in [0, n) without modulo bias (Lemire's method).
  uint64_t NextBelow(uint64_t n);

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  void Seed(uint64_t seed) {
    uint64_t x = seed;
    for (auto& s : s_) {
      x += 0x9e3779b97f4a7c15ULL;
      s = Mix(x);
    }
  }
  uint64_t s_[4];
};

}  // namespace llms
