// Tests of the stub file format: every action, comments, and the errors a user meets.
#include "symex/stubs.h"

#include <gtest/gtest.h>

namespace llms::symex {
namespace {

TEST(StubsTest, ParsesEveryAction) {
  auto stubs = ParseStubs(R"(# the engine's stubs
log_fmt        skip
conf_refresh   return 0
knot_errno     return -22      # a negative value
getpid         fresh
knot_strerror  return-arg 1
bad_thing      fail the harness never calls it

)",
                          "knot.stubs");
  ASSERT_TRUE(stubs.ok()) << stubs.message();
  ASSERT_EQ(stubs->size(), 6u);
  using A = StubRule::Action;
  EXPECT_EQ(stubs->at("log_fmt").action, A::kSkip);
  EXPECT_EQ(stubs->at("conf_refresh").action, A::kReturn);
  EXPECT_EQ(stubs->at("knot_errno").value, -22);
  EXPECT_EQ(stubs->at("getpid").action, A::kFresh);
  EXPECT_EQ(stubs->at("knot_strerror").action, A::kReturnArg);
  EXPECT_EQ(stubs->at("knot_strerror").arg, 1u);
  EXPECT_EQ(stubs->at("bad_thing").message, "the harness never calls it");
}

TEST(StubsTest, ErrorsNameTheLineAndWhatIsWrong) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"f\n", "f.stubs:1: 'f' has no action"},
      {"\nf return\n", "f.stubs:2: 'return' needs one integer value"},
      {"f return x\n", "'return' needs one integer value"},
      {"f return-arg -1\n", "'return-arg' needs one argument index"},
      {"f skip 3\n", "'skip' takes no value"},
      {"f jump\n", "unknown action 'jump'"},
      {"f skip\nf fresh\n", "f.stubs:2: 'f' has a rule already"},
  };
  for (const auto& [text, expected] : cases) {
    auto stubs = ParseStubs(text, "f.stubs");
    ASSERT_FALSE(stubs.ok()) << text;
    EXPECT_NE(stubs.message().find(expected), std::string::npos) << stubs.message();
  }
  EXPECT_FALSE(LoadStubs("/nonexistent/x.stubs").ok());
}

}  // namespace
}  // namespace llms::symex
