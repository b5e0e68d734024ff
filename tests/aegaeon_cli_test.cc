// End-to-end tests of the aegaeon binary as a user runs it: `aegaeon run` on the real stories260K
// model reproduces llama2.c's golden text on stdout with statistics on stderr, also after
// `aegaeon model convert` to GGUF; `model dummy` writes a 1B Q8_0 model that `model info`
// describes and `run` loads; `model quantize` works; `run --hugepages` prints what the file
// mapping does and both say how much of the weights is on huge pages; `sim sweep` and `sim run` on
// the paper's experiment write their CSV, JSON and HTML; bad input gets clear errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

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

// --logit-bias reaches the sampler: +100 on one token makes greedy decoding repeat it (tok512's
// token 400 is " do"); a token id out of range is refused with the vocabulary size.
TEST(AegaeonCliTest, RunAppliesTheLogitBias) {
  if (!std::filesystem::exists(Stories())) GTEST_SKIP() << "../shared/models is absent; CI has it";
  const std::string base = kAegaeon + " run --model " + Stories() +
                           "/stories260K.bin --tokenizer " + Stories() +
                           "/tok512.bin --prompt \"Once upon a time\" -t 0 -n 4 -q";
  auto r = RunCommand(base + " --logit-bias 400=100");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Once upon a time do do do do\n");
  r = RunCommand(base + " --logit-bias 512=1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--logit-bias 512=1: expected TOKEN=BIAS with a token id below 512"),
            std::string::npos)
      << r.err;
}

TEST(AegaeonCliTest, AcceptanceConvertToGgufThenRunPrintsTheSameText) {
  if (!std::filesystem::exists(Stories())) GTEST_SKIP() << "../shared/models is absent; CI has it";
  const std::string out = ::testing::TempDir() + "/s.gguf";
  auto c = RunCommand(kAegaeon + " model convert --input " + Stories() +
                      "/stories260K.bin --tokenizer " + Stories() + "/tok512.bin --output " + out);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const std::string args = " --prompt \"Once upon a time\" --temperature 0 --max-tokens 100";
  auto bin = RunCommand(kAegaeon + " run --model " + Stories() + "/stories260K.bin --tokenizer " +
                        Stories() + "/tok512.bin" + args);
  auto gguf = RunCommand(kAegaeon + " run --model " + out + args);
  ASSERT_EQ(gguf.exit_code, 0) << gguf.err;
  EXPECT_EQ(gguf.out, bin.out);
  std::string golden = ReadFile(Stories() + "/golden-once-upon-a-time-64.txt");
  while (!golden.empty() && golden.back() == '\n') golden.pop_back();
  EXPECT_EQ(gguf.out.substr(0, golden.size()), golden);
  // Requantized to Q8_0 it still runs and tells its type.
  const std::string q8 = ::testing::TempDir() + "/s-q8.gguf";
  auto q = RunCommand(kAegaeon + " model quantize --input " + out + " --type q8_0 --output " + q8);
  ASSERT_EQ(q.exit_code, 0) << q.err;
  auto info = RunCommand(kAegaeon + " model info " + q8 + " --tensors");
  EXPECT_NE(info.out.find("blk.0.attn_q.weight"), std::string::npos);
  EXPECT_NE(info.out.find("Q8_0"), std::string::npos);
  // The exact bytes an instance arena needs for the weights and for one KV block.
  EXPECT_NE(info.out.find("bytes placed in an arena"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("per 16-token block ("), std::string::npos) << info.out;
  auto q8_run = RunCommand(kAegaeon + " run --model " + q8 + args);
  EXPECT_EQ(q8_run.exit_code, 0) << q8_run.err;
  // Weights copied onto huge pages give the same text as read from the file mapping.
  auto q8_huge = RunCommand(kAegaeon + " run --hugepages --model " + q8 + args);
  EXPECT_EQ(q8_huge.exit_code, 0) << q8_huge.err;
  EXPECT_EQ(q8_huge.out, q8_run.out);
  // Both say where the weights are and how much of them sits on huge pages.
  EXPECT_NE(q8_run.err.find("(file mapping), "), std::string::npos) << q8_run.err;
  EXPECT_NE(q8_huge.err.find("(copied to huge-page memory), "), std::string::npos) << q8_huge.err;
  EXPECT_NE(q8_huge.err.find("% on huge pages"), std::string::npos) << q8_huge.err;
  EXPECT_EQ(RunCommand(kAegaeon + " run --hugepages --model " + out + args).out, bin.out);
}

TEST(AegaeonCliTest, AcceptanceDummyOneBillionQ8ModelAndInfo) {
  const std::string out = ::testing::TempDir() + "/d.gguf";
  auto d = RunCommand(kAegaeon + " model dummy --preset llama-1b --type q8_0 --output " + out);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_NE(d.err.find("1.236 B parameters"), std::string::npos) << d.err;
  auto info = RunCommand(kAegaeon + " model info " + out);
  ASSERT_EQ(info.exit_code, 0) << info.err;
  for (const char* want : {"GGUF v3", "llama.embedding_length                   2048",
                           "Q8_0     113 tensors", "heads / kv heads  32 / 8 (head size 64)",
                           "vocabulary        128256", "tokenizer: 128256 tokens"}) {
    EXPECT_NE(info.out.find(want), std::string::npos) << want << "\n" << info.out;
  }
  auto run =
      RunCommand(kAegaeon + " run --model " + out + " --prompt hello --max-tokens 2 --seed 1");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.rfind("hello", 0), 0u);
  std::filesystem::remove(out);
  auto list = RunCommand(kAegaeon + " model dummy --list");
  EXPECT_NE(list.out.find("qwen2-0.5b"), std::string::npos);
}

TEST(AegaeonCliTest, LatencyFitsTheArtifactProfiles) {
  const std::string csv = SharedDir() + "/data/aegaeon-profiles/latency.csv";
  if (!std::filesystem::exists(csv)) GTEST_SKIP() << "../shared/data is absent; CI has it";
  const std::string json = ::testing::TempDir() + "/fits.json";
  auto r = RunCommand(kAegaeon + " latency --profiles " + csv + " --gpu A100 --json " + json);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("llama2_7b                A100"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("H800"), std::string::npos);  // filtered
  const std::string written = ReadFile(json);
  EXPECT_NE(written.find("\"prefill_error\""), std::string::npos);
  EXPECT_NE(written.find("\"r2\""), std::string::npos);
  auto none = RunCommand(kAegaeon + " latency --profiles " + csv + " --model nope");
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.err.find("no profile rows match"), std::string::npos);
}

TEST(AegaeonCliTest, SimSweepOfThePaperExperimentWritesTheCsv) {
  if (!std::filesystem::exists(SharedDir() + "/data/aegaeon-profiles/latency.csv")) {
    GTEST_SKIP() << "../shared/data is absent; CI has it";
  }
  // The acceptance command, on a shortened workload (the full sweep is a benchmark-sized run).
  const std::string csv = ::testing::TempDir() + "/sweep-a.csv";
  const std::string html = ::testing::TempDir() + "/sweep-a.html";
  auto r = RunCommand(kAegaeon + " sim sweep --experiment " + std::string(LLMS_SOURCE_DIR) +
                      "/experiments/paper-sweep-a.json --duration 60 --output " + csv +
                      " --report " + html);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string out = ReadFile(csv);
  EXPECT_EQ(out.rfind("policy,num_models,rate_per_model,slo_attainment,conventional_attainment,"
                      "goodput_rps,ttft_p99_s,tpot_p99_s,switches\n",
                      0),
            0u);
  // 5 policies x 17 numbers of models.
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1 + 5 * 17);
  EXPECT_NE(out.find("\naegaeon,16,0.1,"), std::string::npos);
  EXPECT_NE(out.find("\ndedicated,80,0.1,"), std::string::npos);
  EXPECT_NE(r.out.find("largest number of models at >= 90% SLO attainment"), std::string::npos);
  EXPECT_NE(r.out.find("aegaeon / request-level at 0.1 req/s per model: "), std::string::npos)
      << r.out;
  EXPECT_NE(ReadFile(html).find("<svg"), std::string::npos);
}

TEST(AegaeonCliTest, SimSweepOverridesModelsPoliciesAndTheBaselinesEngineStart) {
  if (!std::filesystem::exists(SharedDir() + "/data/aegaeon-profiles/latency.csv")) {
    GTEST_SKIP() << "../shared/data is absent; CI has it";
  }
  const std::string exp = std::string(LLMS_SOURCE_DIR) + "/experiments/paper-sweep-a.json";
  const std::string csv = ::testing::TempDir() + "/sweep-stock.csv";
  const std::string json = ::testing::TempDir() + "/sweep-stock.json";
  auto r = RunCommand(kAegaeon + " sim sweep --experiment " + exp +
                      " --duration 60 --num-models 16:32:16,48 --policies aegaeon,request-level"
                      " --baseline-engine-start 4 --output " +
                      csv + " --json " + json);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string out = ReadFile(csv);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1 + 2 * 3);  // 2 policies x {16, 32, 48}
  EXPECT_NE(out.find("\nrequest-level,48,0.1,"), std::string::npos) << out;
  // Every baseline switch carries the engine start; Aegaeon's carry none.
  const std::string j = ReadFile(json);
  EXPECT_NE(j.find("\"engine_start\": 4.0"), std::string::npos);
  EXPECT_NE(j.find("\"engine_start\": 0.0"), std::string::npos);
  auto range = RunCommand(kAegaeon + " sim sweep --experiment " + exp +
                          " --num-models 32:16:4 --output " + csv);
  EXPECT_NE(range.exit_code, 0);
  EXPECT_NE(range.err.find("a range is FROM:TO:STEP (three parts) with FROM <= TO"),
            std::string::npos)
      << range.err;
}

TEST(AegaeonCliTest, SimRunWritesJsonAndRejectsBadInput) {
  if (!std::filesystem::exists(SharedDir() + "/data/aegaeon-profiles/latency.csv")) {
    GTEST_SKIP() << "../shared/data is absent; CI has it";
  }
  const std::string exp = std::string(LLMS_SOURCE_DIR) + "/experiments/paper-sweep-a.json";
  const std::string json = ::testing::TempDir() + "/run.json";
  auto r = RunCommand(kAegaeon + " sim run --experiment " + exp +
                      " --policy request-level --models 24 --duration 120 --json " + json);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string j = ReadFile(json);
  for (const char* key : {"\"slo_attainment\"", "\"conventional_attainment\"", "\"ttft_s\"",
                          "\"tpot_s\"", "\"switches_per_s\"", "\"mean_switch_phases_s\"",
                          "\"weights_in\"", "\"rejected_by_reason\""}) {
    EXPECT_NE(j.find(key), std::string::npos) << key;
  }
  auto bad = RunCommand(kAegaeon + " sim run --experiment " + exp + " --policy fifo");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("unknown policy 'fifo'"), std::string::npos) << bad.err;
  auto arrivals = RunCommand(kAegaeon + " sim run --experiment " + exp + " --arrivals bursty");
  EXPECT_NE(arrivals.exit_code, 0);
  EXPECT_NE(arrivals.err.find("unknown arrival process 'bursty'"), std::string::npos);
}

// A servegen trace's SLO classes reach the simulator: each class judged by its own targets.
TEST(AegaeonCliTest, SimScoresTheTracesSloClasses) {
  if (!std::filesystem::exists(SharedDir() + "/data/aegaeon-profiles/latency.csv")) {
    GTEST_SKIP() << "../shared/data is absent; CI has it";
  }
  const std::string dir = ::testing::TempDir();
  const std::string trace = dir + "/classes.jsonl", json = dir + "/classes.json";
  auto g = RunCommand(std::string(LLMS_BIN_DIR) +
                      "/servegen generate --preset language --duration 120 --rate 1 --seed 2 "
                      "--slo-class strict:1:1:40% --slo-class loose:600000:60000 -q -o " +
                      trace);
  ASSERT_EQ(g.exit_code, 0) << g.err;
  const std::string exp = std::string(LLMS_SOURCE_DIR) + "/experiments/paper-sweep-a.json";
  auto r = RunCommand(kAegaeon + " sim run --experiment " + exp + " --trace " + trace +
                      " --policy aegaeon --models 4 --json " + json);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("class strict (TTFT 0.001 s"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(ReadFile(json));
  ASSERT_TRUE(j.contains("per_slo_class")) << j.dump();
  const auto& strict = j["per_slo_class"]["strict"];
  const auto& loose = j["per_slo_class"]["loose"];
  EXPECT_GT(strict["completed"].get<int>(), 10);
  EXPECT_GT(loose["completed"].get<int>(), 10);
  EXPECT_EQ(strict["conventional_attainment"].get<double>(), 0.0);
  EXPECT_EQ(loose["conventional_attainment"].get<double>(), 1.0);
  // The whole run is judged per request: between the two.
  EXPECT_GT(j["conventional_attainment"].get<double>(), 0.3);
  EXPECT_LT(j["conventional_attainment"].get<double>(), 0.9);
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
      {"run --model " + gguf, "truncated header"},
      {"model dummy --preset nope --output /tmp/x.gguf", "unknown preset 'nope'"},
      {"model dummy --preset llama-tiny --type iq4_xs --output /tmp/x.gguf",
       "unknown type 'iq4_xs' (choose one of f32, f16, bf16, q8_0"},
      {"model dummy --preset llama-tiny --heads 7 --output /tmp/x.gguf", "inconsistent shape"},
      {"model info /nonexistent.gguf", "cannot open"},
      {"model convert --input " + model + " --tokenizer /nonexistent --output /tmp/x.gguf",
       "/nonexistent: cannot open"},
      {"run --model " + model, "pass it with --tokenizer"},
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
