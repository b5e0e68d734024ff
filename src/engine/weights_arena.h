// Placing a model's weights in caller-provided memory: the fixed-size "device memory" arena an
// Aegaeon instance manages. WeightsArenaBytes says exactly how many bytes a model needs (each
// tensor 64-byte aligned, a tied output embedding stored once); PlaceWeights copies the weights
// there and returns a Model that reads them from the arena. Together with KvCache::BytesFor and a
// KvCache built on arena storage, a model and its KV cache live entirely inside one region.
#pragma once

#include <cstddef>
#include <vector>

#include "core/huge_pages.h"
#include "core/status.h"
#include "engine/model.h"

namespace llms::engine {

constexpr size_t kArenaAlignment = 64;

size_t WeightsArenaBytes(const Model& model);

// One tensor's bytes to copy into the arena.
struct WeightCopy {
  const void* from;
  void* to;
  size_t bytes;
};

// `arena` must be kArenaAlignment-aligned and hold `size` bytes; an error (nothing copied) when
// the model does not fit. The result stays valid while the arena memory does. With `deferred`,
// nothing is copied: the copies are listed there for the caller to make (a server makes them
// under a guard against the model file shrinking: core/mapped_file.h).
Result<Model> PlaceWeights(const Model& model, void* arena, size_t size,
                           std::vector<WeightCopy>* deferred = nullptr);

// The weights copied into memory of their own on transparent huge pages (core/huge_pages.h), as an
// instance's arena holds them: `aegaeon run --hugepages` and the benchmarks' placed models. The
// Model reads `memory`, so the two live together.
struct PlacedModel {
  HugePageMemory memory;
  Model model;
};
Result<PlacedModel> PlaceOnHugePages(const Model& model);

}  // namespace llms::engine
