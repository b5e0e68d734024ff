// Tests for AllocateHugePageMemory: alignment and that the memory is usable to the size asked for.
#include "core/huge_pages.h"

#include <gtest/gtest.h>

#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

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

TEST(HugePagesTest, ShareOfFourKibPagesIsZeroAndOfNothingUnknown) {
  // Memory the kernel must not back with huge pages: every resident byte is on 4 KiB pages.
  const size_t bytes = size_t{8} << 20;
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_EQ(::madvise(p, bytes, MADV_NOHUGEPAGE), 0);
  std::memset(p, 1, bytes);
  const std::optional<double> share = HugePageShare(p, bytes);
  ASSERT_TRUE(share.has_value());
  EXPECT_EQ(*share, 0.0);
  ::munmap(p, bytes);
  // Once unmapped nothing there is resident.
  EXPECT_FALSE(HugePageShare(p, bytes).has_value());
  // Huge-page memory: mostly on huge pages where the kernel grants them to advised memory at
  // fault time (transparent huge pages on, with direct compaction for advised regions).
  HugePageMemory m = AllocateHugePageMemory(bytes);
  std::memset(m.get(), 1, bytes);
  const std::optional<double> huge = HugePageShare(m.get(), bytes);
  ASSERT_TRUE(huge.has_value());
  EXPECT_LE(*huge, 1.0);
  auto setting = [](const char* file) {
    std::ifstream f(std::string("/sys/kernel/mm/transparent_hugepage/") + file);
    std::string s;
    std::getline(f, s);
    return s;
  };
  const std::string enabled = setting("enabled"), defrag = setting("defrag");
  const bool granted = (enabled.find("[always]") != std::string::npos ||
                        enabled.find("[madvise]") != std::string::npos) &&
                       (defrag.find("[always]") != std::string::npos ||
                        defrag.find("[madvise]") != std::string::npos ||
                        defrag.find("[defer+madvise]") != std::string::npos);
  if (granted) {
    EXPECT_GT(*huge, 0.5) << "enabled: " << enabled << ", defrag: " << defrag;
  } else {
    EXPECT_GE(*huge, 0.0);
  }
}

}  // namespace
}  // namespace llms
