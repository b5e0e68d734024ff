// Tests for AllocateHugePageMemory: alignment and that the memory is usable to the size asked for.
#include "core/huge_pages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace llms {
namespace {

TEST(HugePagesTest, MemoryIsTwoMibAlignedAndWritableToTheRequestedSize) {
  for (size_t bytes : {size_t{0}, size_t{1}, size_t{3} << 20}) {
    HugePageMemory m = AllocateHugePageMemory(bytes);
    ASSERT_NE(m, nullptr) << bytes;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(m.get()) % (size_t{2} << 20), 0u) << bytes;
    std::memset(m.get(), 0xab, bytes);
    if (bytes > 0) {
      EXPECT_EQ(m.get()[bytes - 1], std::byte{0xab});
    }
  }
}

}  // namespace
}  // namespace llms
