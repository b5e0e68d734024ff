// Test helpers for the engine: where the shared stories260K model lives, and a skip when absent.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace llms::engine::testing {

inline std::string StoriesDir() {
  return std::string(LLMS_SHARED_DIR) + "/models/stories260K";
}
inline bool HaveStories() {
  return std::filesystem::exists(StoriesDir() + "/stories260K.bin");
}

#define LLMS_REQUIRE_STORIES()                                 \
  do {                                                         \
    if (!::llms::engine::testing::HaveStories())               \
      GTEST_SKIP() << "../shared/models is absent; CI has it"; \
  } while (0)

}  // namespace llms::engine::testing
