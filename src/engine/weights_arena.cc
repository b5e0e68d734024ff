// Weight placement into an arena.
#include "engine/weights_arena.h"

#include <cstdint>
#include <cstring>
#include <unordered_map>

#include <fmt/format.h>

namespace llms::engine {

namespace {
size_t Align(size_t n) {
  return (n + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}
}  // namespace

size_t WeightsArenaBytes(const Model& model) {
  size_t total = 0;
  for (const Tensor* t : model.AllTensors()) total += Align(t->bytes());
  return total;
}

Result<Model> PlaceWeights(const Model& model, void* arena, size_t size,
                           std::vector<WeightCopy>* deferred) {
  const size_t need = WeightsArenaBytes(model);
  if (need > size) {
    return Status::Error(
        fmt::format("the model's weights need {} bytes but the arena has {}", need, size));
  }
  if (reinterpret_cast<uintptr_t>(arena) % kArenaAlignment != 0) {
    return Status::Error(fmt::format("the arena must be {}-byte aligned", kArenaAlignment));
  }
  Model placed = model;
  placed.converted.clear();
  auto* base = static_cast<uint8_t*>(arena);
  size_t used = 0;
  std::unordered_map<const void*, const void*> moved;  // source -> arena copy (tied tensors once)
  for (Tensor* t : placed.AllTensors()) {
    const void* src = t->data;
    if (auto it = moved.find(src); it != moved.end()) {
      t->data = it->second;
      continue;
    }
    if (deferred) {
      deferred->push_back({src, base + used, t->bytes()});
    } else {
      std::memcpy(base + used, src, t->bytes());
    }
    t->data = base + used;
    moved[src] = t->data;
    used += Align(t->bytes());
  }
  if (model.classifier.data == model.token_embedding.data) {
    placed.classifier.data = placed.token_embedding.data;
  }
  placed.file.reset();  // the weights no longer come from the file
  return placed;
}

Result<PlacedModel> PlaceOnHugePages(const Model& model) {
  const size_t bytes = WeightsArenaBytes(model);
  PlacedModel placed;
  placed.memory = AllocateHugePageMemory(bytes);
  if (!placed.memory) {
    return Result<PlacedModel>::Error(
        fmt::format("cannot allocate {} bytes of memory for the weights", bytes));
  }
  auto m = PlaceWeights(model, placed.memory.get(), bytes);
  if (!m.ok()) return m.status();
  placed.model = std::move(m).value();
  return placed;
}

}  // namespace llms::engine
