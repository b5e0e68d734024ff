// Tests for the paged KV cache: block accounting, no two sequences sharing a block, and block
// copies to host memory and back.
#include "engine/kv_cache.h"

#include <gtest/gtest.h>

#include <set>

#include "engine/test_models.h"

namespace llms::engine {
namespace {

ModelConfig Tiny() {
  return testing::TinyConfig();
}

TEST(KvCacheTest, ReservesWholeBlocksAndReleasesThem) {
  KvCache cache(Tiny(), 4);
  EXPECT_EQ(KvCache::BlockBytes(Tiny()), 2u * 2 * 16 * 4 * sizeof(float));
  BlockTable a, b;
  EXPECT_TRUE(cache.Reserve(a, 17));  // two blocks
  EXPECT_EQ(a.blocks.size(), 2u);
  EXPECT_TRUE(cache.Reserve(b, 32));
  EXPECT_EQ(cache.free_blocks(), 0);
  EXPECT_FALSE(cache.Reserve(a, 33));  // no block left: unchanged
  EXPECT_EQ(a.blocks.size(), 2u);
  std::set<int> all(a.blocks.begin(), a.blocks.end());
  all.insert(b.blocks.begin(), b.blocks.end());
  EXPECT_EQ(all.size(), 4u);  // no block in two tables
  cache.Release(a);
  EXPECT_EQ(cache.free_blocks(), 2);
  EXPECT_TRUE(a.blocks.empty());
}

TEST(KvCacheTest, SlotsDoNotOverlapAndBlocksMoveOutAndBackIn) {
  const ModelConfig c = Tiny();
  KvCache cache(c, 3);
  BlockTable s;
  ASSERT_TRUE(cache.Reserve(s, 40));
  for (int l = 0; l < c.n_layers; ++l) {
    for (int p = 0; p < 40; ++p) {
      for (int i = 0; i < c.kv_dim(); ++i) {
        cache.Key(l, s, p)[i] = static_cast<float>(l * 100000 + p * 100 + i);
        cache.Value(l, s, p)[i] = -static_cast<float>(l * 100000 + p * 100 + i);
      }
    }
  }
  std::vector<float> host(KvCache::BlockBytes(c) / sizeof(float));
  cache.CopyBlockOut(s.blocks[1], host.data());
  std::fill(cache.Key(0, s, 16), cache.Key(0, s, 16) + c.kv_dim(), 0.0f);  // clobber
  cache.CopyBlockIn(s.blocks[1], host.data());
  for (int l = 0; l < c.n_layers; ++l) {
    for (int p = 0; p < 40; ++p) {
      ASSERT_EQ(cache.Key(l, s, p)[1], static_cast<float>(l * 100000 + p * 100 + 1));
      ASSERT_EQ(cache.Value(l, s, p)[2], -static_cast<float>(l * 100000 + p * 100 + 2));
    }
  }
  // A caller-provided arena is used in place.
  std::vector<float> arena(KvCache::BytesFor(c, 2) / sizeof(float));
  KvCache placed(c, 2, arena.data());
  BlockTable t;
  ASSERT_TRUE(placed.Reserve(t, 1));
  placed.Key(0, t, 0)[0] = 42.0f;
  EXPECT_NE(std::find(arena.begin(), arena.end(), 42.0f), arena.end());
}

}  // namespace
}  // namespace llms::engine
