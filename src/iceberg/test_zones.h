// For tests: the hand-written zones of tests/iceberg/zones/ (one or more per RFC rule), which the
// specification's tests answer and CI checks real engines on.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace llms::iceberg {

inline std::string ZoneFile(const std::string& name) {
  std::ifstream in(std::string(LLMS_SOURCE_DIR) + "/tests/iceberg/zones/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << "tests/iceberg/zones/" << name << " is missing";
  return ss.str();
}

}  // namespace llms::iceberg
