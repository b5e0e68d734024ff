// The load sweep end to end, as the main job runs it, on small generated models: `aegaeon latency
// --measure` profiles this machine, `aegaeon sim sweep --points` predicts the sweep from that
// profile, `aegaeon bench sweep` starts `aegaeon serve` under each policy and replays a servegen
// preset at several rates, and the page with both is rendered by headless Chromium. Also a sweep
// of concurrencies against a running endpoint, and the errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include <fmt/format.h>

#include "cli_runner.h"
#include "server_process.h"

namespace llms::testing {
namespace {

using nlohmann::json;

class BenchSweepTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(::testing::TempDir() + "/bench_sweep_" + std::to_string(getpid()));
    std::filesystem::create_directories(*dir_);
    for (int i = 0; i < 3; ++i) {
      const std::string name = "tiny" + std::to_string(i);
      auto r = RunCommand(Bin("aegaeon") + " model dummy --preset llama-tiny --type q8_0 --seed " +
                          std::to_string(i + 1) + " --name " + name + " --output " + *dir_ + "/" +
                          name + ".gguf");
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static std::string Dir() { return *dir_; }
  static std::string Models() {
    std::string out;
    for (int i = 0; i < 3; ++i) {
      out +=
          " --model tiny" + std::to_string(i) + "=" + Dir() + "/tiny" + std::to_string(i) + ".gguf";
    }
    return out;
  }
  static std::string* dir_;
};
std::string* BenchSweepTest::dir_ = nullptr;

TEST_F(BenchSweepTest, SweepsBothPoliciesAndDrawsThePredictionBeside) {
  const std::string d = Dir();
  // This machine's profile of the model shape (the other two share it: same size).
  auto measure = RunCommand(Bin("aegaeon") + " latency --measure --repeats 1 --model tiny0=" + d +
                            "/tiny0.gguf --output " + d + "/cpu.json");
  ASSERT_EQ(measure.exit_code, 0) << measure.err;
  EXPECT_NE(measure.out.find("tiny0"), std::string::npos) << measure.out;

  // The prediction: the same models, instances, workload and rates in the simulator.
  std::ofstream(d + "/experiment.json") << R"({
    "cluster": {"nodes": 1, "gpus_per_node": 2, "prefill_per_node": 1, "decode_per_node": 1,
                "memory_mib": 96, "latency_profile": "cpu.json"},
    "models": [{"name": "tiny0", "profile": "tiny0"}, {"name": "tiny1", "profile": "tiny0"},
               {"name": "tiny2", "profile": "tiny0"}],
    "slo": {"ttft_s": 10, "tpot_s": 0.5},
    "workload": {"preset": "language", "duration_s": 4, "seed": 1, "max_input": 32,
                 "max_output": 16},
    "sweep": {"num_models": 3, "rate": [1, 4], "policies": ["aegaeon", "request-level"]}})";
  auto sim =
      RunCommand(Bin("aegaeon") + " sim sweep --experiment " + d + "/experiment.json --output " +
                 d + "/predicted.csv --points " + d + "/predicted.json");
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  EXPECT_NE(sim.out.find("aegaeon: SLO attainment"), std::string::npos) << sim.out;
  const json predicted = json::parse(ReadFile(d + "/predicted.json"));
  ASSERT_EQ(predicted["points"].size(), 4u);
  EXPECT_EQ(predicted["points"][0]["num_models"], 3);

  const std::string work = d + "/work";
  auto r =
      RunCommand(Bin("aegaeon") +
                 " bench sweep --policies aegaeon,request-level --preset language "
                 "--duration 4 --seed 1 --rates 4,1 --max-input 32 --max-output 16 "
                 "--ttft-slo 10 --tpot-slo 0.5 --output " +
                 d + "/sweep.json --html " + d + "/sweep.html --predicted " + d +
                 "/predicted.json --work-dir " + work + " --" + Models() + " --latency-profile " +
                 d + "/cpu.json --instance-memory 96 --step-log " + d + "/steps-{policy}.csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The table and where each policy stands against 90%.
  EXPECT_NE(r.out.find("TTFT p99"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("aegaeon: SLO attainment"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("request-level: SLO attainment"), std::string::npos) << r.out;

  const json j = json::parse(ReadFile(d + "/sweep.json"));
  ASSERT_EQ(j["points"].size(), 4u);
  std::set<std::pair<std::string, double>> seen;
  for (const json& p : j["points"]) {
    const std::string policy = p["policy"];
    const double rate = p["rate"];
    seen.insert({policy, rate});
    for (const char* key : {"slo_attainment", "conventional_attainment", "goodput_rps",
                            "ttft_p99_s", "tpot_p99_s", "completed", "failed"}) {
      EXPECT_TRUE(p.contains(key)) << key;
    }
    // Every request of the point ended, and none in an error; the point's full result holds
    // each one.
    EXPECT_EQ(p["failed"], 0) << policy << " " << rate;
    const json full = json::parse(ReadFile(fmt::format("{}/{}-{:g}.json", work, policy, rate)));
    EXPECT_EQ(p["completed"], full["requests"]) << policy << " " << rate;
    EXPECT_EQ(full["per_request"].size(), full["requests"].get<size_t>());
    EXPECT_GT(p["completed"].get<int64_t>(), 0);
    EXPECT_GE(p["slo_attainment"].get<double>(), 0);
    EXPECT_LE(p["slo_attainment"].get<double>(), 1);
  }
  // Rates run in increasing order, both policies at each.
  const std::set<std::pair<std::string, double>> want = {
      {"aegaeon", 1}, {"aegaeon", 4}, {"request-level", 1}, {"request-level", 4}};
  EXPECT_EQ(seen, want);
  EXPECT_EQ(j["points"][0]["rate"], 1);
  EXPECT_TRUE(j["below_90"].contains("aegaeon"));
  EXPECT_TRUE(j["below_90"]["request-level"].contains("crossing"));
  ASSERT_EQ(j["predictions"].size(), 1u);
  EXPECT_EQ(j["predictions"][0]["points"].size(), 4u);
  EXPECT_TRUE(j["predictions"][0].contains("below_90"));
  EXPECT_TRUE(std::filesystem::exists(work + "/serve-aegaeon.log"));

  // Each server logged its steps; the profile calibrated by them is one the simulator reads.
  const std::string steps = ReadFile(d + "/steps-request-level.csv");
  EXPECT_NE(steps.find(",decode,tiny"), std::string::npos) << steps.substr(0, 400);
  EXPECT_NE(steps.find(",prefill,tiny"), std::string::npos);
  auto cal = RunCommand(Bin("aegaeon") + " latency --calibrate " + d +
                        "/steps-aegaeon.csv --calibrate " + d + "/steps-request-level.csv" +
                        " --profile " + d + "/cpu.json --output " + d + "/calibrated.json");
  ASSERT_EQ(cal.exit_code, 0) << cal.err;
  EXPECT_NE(cal.out.find("served / predicted"), std::string::npos) << cal.out;
  const json calibrated = json::parse(ReadFile(d + "/calibrated.json"));
  EXPECT_EQ(calibrated["models"].size(), json::parse(ReadFile(d + "/cpu.json"))["models"].size());
  auto refused = RunCommand(Bin("aegaeon") + " latency --calibrate " + d + "/cpu.json --profile " +
                            d + "/cpu.json --output " + d + "/x.json");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("not a step log"), std::string::npos) << refused.err;

  // The page parses in a browser: five charts, measured and predicted lines, the points' table.
  const std::string html = ReadFile(d + "/sweep.html");
  EXPECT_NE(html.find("request-level (predicted)"), std::string::npos);
  LLMS_REQUIRE_CHROMIUM();
  auto dom = RenderDom(d + "/sweep.html");
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_EQ(CountOf(dom.out, "<svg"), 5);
  EXPECT_EQ(CountOf(dom.out, "<tr>"), 1 + 4 + 4);  // header, measured, predicted
  EXPECT_NE(dom.out.find("aegaeon (predicted)"), std::string::npos);

  // Drawn again from its JSON with a second prediction beside the first: nothing is rerun.
  auto again =
      RunCommand(Bin("aegaeon") + " bench sweep --render " + d + "/sweep.json" + " --predicted " +
                 d + "/predicted.json --predicted again=" + d + "/predicted.json --output " + d +
                 "/again.json --html " + d + "/again.html");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("measured against again"), std::string::npos) << again.out;
  const json aj = json::parse(ReadFile(d + "/again.json"));
  EXPECT_EQ(aj["points"], j["points"]);
  EXPECT_EQ(aj["note"], j["note"]);
  ASSERT_EQ(aj["predictions"].size(), 2u);
  EXPECT_EQ(aj["predictions"][1]["label"], "again");
  auto redrawn = RenderDom(d + "/again.html");
  ASSERT_EQ(redrawn.exit_code, 0) << redrawn.err;
  EXPECT_EQ(CountOf(redrawn.out, "<tr>"), 1 + 4 + 4 + 4);
  EXPECT_NE(redrawn.out.find("request-level (again)"), std::string::npos);
}

TEST_F(BenchSweepTest, SweepsConcurrenciesAgainstARunningEndpoint) {
  ServerProcess server;
  ASSERT_TRUE(server.Start({"--model", "tiny0=" + Dir() + "/tiny0.gguf"}, Dir())) << server.log();
  auto r = RunCommand(Bin("aegaeon") +
                      " bench sweep --endpoint http://127.0.0.1:" + std::to_string(server.port()) +
                      " --label mine --preset language --duration 3 --limit 6 --concurrencies "
                      "1,3 --max-input 16 --max-output 8 --output " +
                      Dir() + "/c.json --work-dir " + Dir() + "/c");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(ReadFile(Dir() + "/c.json"));
  EXPECT_EQ(j["rate_unit"], "requests in flight");
  ASSERT_EQ(j["points"].size(), 2u);
  for (const json& p : j["points"]) {
    EXPECT_EQ(p["policy"], "mine");
    EXPECT_EQ(p["completed"], 6);
    EXPECT_EQ(p["failed"], 0);
  }
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(BenchSweepTest, ErrorsAreClear) {
  struct Case {
    std::string args, error;
  } cases[] = {
      {"--endpoint http://127.0.0.1:1 --preset language", "give --rates"},
      {"--rates 1 --preset language", "give --endpoint URL"},
      {"--rates 1 --endpoint http://127.0.0.1:1", "give a workload"},
      {"--rates 1 --preset language --policies aegaeon --endpoint http://127.0.0.1:1",
       "give --endpoint URL"},
      // A server that cannot start: what it said is shown.
      {"--rates 1 --preset language --duration 2 --policies aegaeon -- --model x=/nonexistent.gguf",
       "nonexistent.gguf"},
      {"--rates 1 --preset language --endpoint http://127.0.0.1:1 --predicted /nonexistent.json",
       "/nonexistent.json"},
      {"--rates 1 2 --preset language --endpoint http://127.0.0.1:1", "unexpected '2'"},
      {"--render " + Dir() + "/tiny0.gguf --html " + Dir() + "/x.html", "tiny0.gguf: "},
      {"--render " + Dir() + "/tiny0.gguf", "--render needs --output or --html"},
  };
  for (const Case& c : cases) {
    auto r = RunCommand(Bin("aegaeon") + " bench sweep --work-dir " + Dir() + "/e " + c.args);
    EXPECT_NE(r.exit_code, 0) << c.args;
    EXPECT_NE(r.err.find(c.error), std::string::npos) << c.args << "\n" << r.err;
  }
}

}  // namespace
}  // namespace llms::testing
