// End-to-end tests of the aegaeon binary as a user runs it: `aegaeon run` on the real stories260K
// model reproduces llama2.c's golden text on stdout with statistics on stderr, and bad input gets
// clear errors.
#include <gtest/gtest.h>

#include "cli_runner.h"

namespace llms::testing {
namespace {

const std::string kAegaeon = Bin("aegaeon");

std::string Stories() {
  return SharedDir() + "/models/stories260K";
}

TEST(AegaeonCliTest, AcceptanceRunPrintsTheGoldenText) {
  if (!std::filesystem::exists(Stories())) GTEST_SKIP() << "../shared/models is absent; CI has it";
  auto r = RunCommand(kAegaeon + " run --model " + Stories() + "/stories260K.bin --tokenizer " +
                      Stories() +
                      "/tok512.bin --prompt \"Once upon a time\" --temperature 0 --max-tokens 100");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string golden = ReadFile(Stories() + "/golden-once-upon-a-time-64.txt");
  while (!golden.empty() && golden.back() == '\n') golden.pop_back();
  EXPECT_EQ(r.out.substr(0, golden.size()), golden);
  EXPECT_NE(r.err.find("100 generated"), std::string::npos) << r.err;  // statistics go to stderr
  EXPECT_EQ(r.out.find("tok/s"), std::string::npos);
}

TEST(AegaeonCliTest, ErrorsAreClear) {
  const std::string model = Stories() + "/stories260K.bin";
  const std::string gguf = ::testing::TempDir() + "/fake.gguf";
  std::ofstream(gguf) << "GGUF\x03";
  struct Case {
    std::string args, error;
  };
  const Case cases[] = {
      {"run --model /nonexistent.bin --tokenizer x", "/nonexistent.bin: cannot open"},
      {"run --model " + gguf, "GGUF models are not supported by this build yet"},
      {"run --model " + model, "needs --tokenizer"},
      {"run --model " + model + " --tokenizer " + model, "does the tokenizer match the model"},
  };
  for (const auto& c : cases) {
    if (c.args.find(Stories()) != std::string::npos && !std::filesystem::exists(Stories()))
      continue;
    auto r = RunCommand(kAegaeon + " " + c.args);
    EXPECT_NE(r.exit_code, 0) << c.args;
    EXPECT_NE(r.err.find(c.error), std::string::npos) << c.args << "\n got: " << r.err;
  }
  auto help = RunCommand(kAegaeon + " run --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
}

}  // namespace
}  // namespace llms::testing
