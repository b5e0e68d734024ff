// Tests for InstanceArena: bump allocation with alignment, a clear error when full, reset on a
// model switch; and the Aegaeon use: two models of different shapes take turns in one arena
// (weights and KV cache placed there by the engine) and compute the same logits as unplaced.
#include "executor/instance_arena.h"

#include <gtest/gtest.h>

#include "engine/kv_cache.h"
#include "engine/model_loader.h"
#include "engine/model_writer.h"
#include "engine/transformer.h"
#include "engine/weights_arena.h"

namespace llms::executor {
namespace {

TEST(InstanceArenaTest, BumpAllocatesAlignedAndResets) {
  InstanceArena arena(1000);
  auto a = arena.Allocate(10, 1, "a");
  ASSERT_TRUE(a.ok());
  auto b = arena.Allocate(100, 64, "b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(*b) % 64, 0u);
  EXPECT_EQ(arena.used(), 64u + 100);  // 54 bytes of padding after "a"
  EXPECT_EQ(arena.padding(), 54u);
  auto full = arena.Allocate(900, 1, "weights of m2");
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.message().find("cannot hold weights of m2 (900 bytes): 164 of 1000"),
            std::string::npos);
  EXPECT_EQ(arena.used(), 164u);  // a failed allocation changes nothing
  EXPECT_FALSE(arena.Allocate(8, 3, "x").ok());
  arena.Reset();
  EXPECT_EQ(arena.used(), 0u);
  EXPECT_EQ(*arena.Allocate(10, 1, "again"), arena.base());
  ASSERT_EQ(arena.allocations().size(), 1u);
  EXPECT_EQ(arena.allocations()[0].label, "again");
}

std::vector<float> LastLogits(const engine::Model& m, engine::KvCache& cache) {
  engine::BlockTable seq;
  EXPECT_TRUE(cache.Reserve(seq, 5));
  engine::Transformer tf(m, cache);
  std::vector<engine::BatchRow> rows;
  for (int p = 0; p < 5; ++p) rows.push_back({&seq, 10 + p, p, p == 4});
  auto out = tf.Forward(rows);
  cache.Release(seq);
  return out;
}

TEST(InstanceArenaTest, ModelsTakeTurnsInOneArena) {
  std::vector<engine::LoadedModel> models;
  for (const char* arch : {"llama", "qwen2"}) {
    engine::ModelConfig c = engine::FindModelPreset("llama-tiny")->config;
    c.architecture = arch;
    c.n_layers = 2;
    if (std::string(arch) == "qwen2") c.dim = 128;  // a different shape
    const std::string path = ::testing::TempDir() + "/arena-" + arch + ".gguf";
    ASSERT_TRUE(engine::WriteRandomModel(c, true, engine::GgmlType::kQ8_0, 3, path, arch).ok());
    auto m = engine::LoadModelFiles(path);
    ASSERT_TRUE(m.ok()) << m.message();
    models.push_back(std::move(m).value());
  }
  size_t need = 0;
  for (const auto& m : models) {
    need = std::max(need, engine::WeightsArenaBytes(m.model) +
                              engine::KvCache::BytesFor(m.model.config, 4) + 128);
  }
  InstanceArena arena(need);
  for (int round = 0; round < 2; ++round) {
    for (const auto& m : models) {
      arena.Reset();  // the switch: the previous model's weights and KV are dropped
      const size_t wbytes = engine::WeightsArenaBytes(m.model);
      auto wmem = arena.Allocate(wbytes, engine::kArenaAlignment, "weights");
      ASSERT_TRUE(wmem.ok()) << wmem.message();
      auto placed = engine::PlaceWeights(m.model, *wmem, wbytes);
      ASSERT_TRUE(placed.ok()) << placed.message();
      auto kmem = arena.Allocate(engine::KvCache::BytesFor(m.model.config, 4), 64, "kv");
      ASSERT_TRUE(kmem.ok()) << kmem.message();
      engine::KvCache in_arena(m.model.config, 4, static_cast<float*>(*kmem));
      engine::KvCache owned(m.model.config, 4);
      EXPECT_EQ(LastLogits(*placed, in_arena), LastLogits(m.model, owned));
    }
  }
}

}  // namespace
}  // namespace llms::executor
