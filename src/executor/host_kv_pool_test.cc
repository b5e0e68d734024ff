// Tests for HostKvPool: one shape per slab, slabs shared across shapes once empty, growth past
// the capacity (counted) instead of failure, blocks larger than a slab, accounting, and KV blocks
// moved from an engine cache to the pool and back intact.
#include "executor/host_kv_pool.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "engine/kv_cache.h"
#include "engine/test_models.h"

namespace llms::executor {
namespace {

TEST(HostKvPoolTest, OneShapePerSlabAndSlabsAreReused) {
  HostKvPool pool(1000, 3000);  // three slabs
  EXPECT_EQ(pool.max_slabs(), 3);
  std::vector<HostKvBlock> small, large;
  for (int i = 0; i < 10; ++i) small.push_back(pool.Allocate(100));  // fills slab 0
  for (int i = 0; i < 3; ++i) large.push_back(pool.Allocate(300));   // slab 1
  std::set<int> small_slabs, large_slabs;
  for (auto b : small) small_slabs.insert(b.slab);
  for (auto b : large) large_slabs.insert(b.slab);
  EXPECT_EQ(small_slabs.size(), 1u);
  EXPECT_EQ(large_slabs.size(), 1u);
  EXPECT_NE(*small_slabs.begin(), *large_slabs.begin());
  EXPECT_EQ(pool.bytes_in_use(), 10u * 100 + 3 * 300);
  EXPECT_EQ(pool.bytes_in_slabs(), 2000u);
  EXPECT_NEAR(pool.fragmentation(), 1.0 - 1900.0 / 2000, 1e-12);
  // A fourth shape-300 block opens slab 2; then the pool is at its capacity: a new shape still
  // gets a block, in a slab past the capacity, which the pool counts.
  const HostKvBlock extra = pool.Allocate(300);
  EXPECT_EQ(extra.slab, 2);
  EXPECT_EQ(pool.overflow_bytes(), 0u);
  const HostKvBlock beyond = pool.Allocate(200);
  EXPECT_EQ(beyond.slab, 3);
  EXPECT_EQ(pool.overflow_bytes(), 1000u);
  // A block larger than a slab gets a slab of its own size.
  const HostKvBlock big = pool.Allocate(2000);
  EXPECT_EQ(pool.overflow_bytes(), 3000u);
  std::memset(pool.Data(big), 7, 2000);
  pool.Free(big);
  pool.Free(beyond);
  // Emptying slab 0 lets another shape take it.
  for (auto b : small) pool.Free(b);
  const HostKvBlock other = pool.Allocate(250);
  EXPECT_EQ(other.slab, *small_slabs.begin());
  // Blocks never overlap.
  std::set<std::byte*> starts;
  for (auto b : large) EXPECT_TRUE(starts.insert(pool.Data(b)).second);
}

TEST(HostKvPoolTest, KvBlocksRoundTripThroughThePool) {
  const engine::ModelConfig c = engine::testing::TinyConfig();
  engine::KvCache cache(c, 4);
  engine::BlockTable seq;
  ASSERT_TRUE(cache.Reserve(seq, 40));  // three blocks
  for (int p = 0; p < 40; ++p) {
    for (int l = 0; l < c.n_layers; ++l) {
      for (int i = 0; i < c.kv_dim(); ++i)
        cache.Key(l, seq, p)[i] = static_cast<float>(p * 100 + i + l);
    }
  }
  const size_t block_bytes = engine::KvCache::BlockBytes(c);
  HostKvPool pool(block_bytes * 8, block_bytes * 16);
  std::vector<HostKvBlock> moved;
  for (int b : seq.blocks) {
    moved.push_back(pool.Allocate(block_bytes));
    cache.CopyBlockOut(b, reinterpret_cast<float*>(pool.Data(moved.back())));
  }
  cache.Release(seq);
  engine::BlockTable back;
  ASSERT_TRUE(cache.Reserve(back, 40));
  for (size_t k = 0; k < moved.size(); ++k) {
    cache.CopyBlockIn(back.blocks[k], reinterpret_cast<const float*>(pool.Data(moved[k])));
    pool.Free(moved[k]);
  }
  for (int p = 0; p < 40; ++p) {
    EXPECT_EQ(cache.Key(1, back, p)[3], static_cast<float>(p * 100 + 3 + 1)) << p;
  }
  EXPECT_EQ(pool.bytes_in_use(), 0u);
  EXPECT_EQ(pool.fragmentation(), 0.0);
}

}  // namespace
}  // namespace llms::executor
