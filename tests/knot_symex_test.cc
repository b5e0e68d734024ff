// Knot's harness (src/iceberg/knot/harness.c with Knot's own code, scripts/knot_bitcode.sh) run by
// the symbolic executor: the zone loaded by Knot's loader inside the executor, then queries
// answered from that memory, compared with the native build of the same code.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_runner.h"
#include "dns/wire.h"
#include "symex/executor.h"
#include "symex/module_loader.h"
#include "symex/stubs.h"

namespace llms::symex {
namespace {

namespace fs = std::filesystem;
using llms::testing::LastLine;
using llms::testing::RunCommand;

std::vector<uint8_t> Bytes(const std::string& s, bool nul) {
  std::vector<uint8_t> b(s.begin(), s.end());
  if (nul) b.push_back(0);
  return b;
}

TEST(KnotSymexTest, LoadsTheZoneAndAnswersAsTheNativeBuild) {
  const auto built = RunCommand(std::string(LLMS_SOURCE_DIR) + "/scripts/knot_bitcode.sh");
  const std::string bc = LastLine(built.out);
  if (built.exit_code != 0 || !fs::exists(bc)) {
    if (std::getenv("LLMS_REQUIRE_ENGINES")) FAIL() << built.err;
    GTEST_SKIP() << "scripts/knot_bitcode.sh failed:\n" << built.err;
  }
  auto module = LoadModule(bc);
  ASSERT_TRUE(module.ok()) << module.message();
  auto stubs = LoadStubs(std::string(LLMS_SOURCE_DIR) + "/src/iceberg/knot/knot.stubs");
  ASSERT_TRUE(stubs.ok()) << stubs.message();
  Options o;
  o.stubs = *stubs;
  o.max_block_visits = 100000;
  z3::context ctx;
  Executor ex(ctx, *module->module, o);
  const std::string zone_file = std::string(LLMS_SOURCE_DIR) + "/tests/iceberg/zones/basic.zone";
  std::ifstream in(zone_file);
  std::stringstream text;
  text << in.rdbuf();
  auto load = ex.Run("iceberg_knot_load",
                     {Arg::Concrete(0, 64), Arg::ConcreteBuffer("zone", Bytes(text.str(), true)),
                      Arg::Concrete(text.str().size(), 64),
                      Arg::ConcreteBuffer("origin", Bytes("example.", true))});
  ASSERT_TRUE(load.ok()) << load.message();
  ASSERT_EQ(load->paths.size(), 1u);
  const PathResult& loaded = load->paths[0];
  ASSERT_EQ(loaded.end, PathEnd::kReturned) << loaded.message;
  ASSERT_EQ(loaded.value->simplify().to_string(), "#x00000000");
  std::printf(
      "load: %lld instructions, %lld solver calls (%.1f s), %lld forks, summaries %lld built %lld "
      "applied, %lld inlined calls\n",
      static_cast<long long>(load->stats.instructions),
      static_cast<long long>(load->stats.solver_calls), load->stats.solver_seconds,
      static_cast<long long>(load->stats.forks),
      static_cast<long long>(load->stats.summaries_built),
      static_cast<long long>(load->stats.summaries_applied),
      static_cast<long long>(load->stats.inlined_calls));

  // Queries answered from the loaded memory, concretely: the answer's bytes as the native build
  // of the same code gives them.
  const std::string native = (fs::path(bc).parent_path() / "knot_native").string();
  const std::vector<std::pair<std::string, uint16_t>> queries{
      {"www.example.", 1},    {"nothere.example.", 1}, {"example.", 6}, {"www.example.", 16},
      {"a.b.c.example.", 16}, {"b.c.example.", 1},     {"example.", 2}, {"WWW.Example.", 28}};
  std::string hex;
  std::vector<std::vector<uint8_t>> wires;
  for (const auto& [name, type] : queries) {
    wires.push_back(dns::EncodeQuery(0x1234, *dns::Name::Parse(name), type, /*udp_size=*/0));
    for (uint8_t b : wires.back()) hex += fmt::format("{:02x}", b);
    hex += "\n";
  }
  const std::string qfile = fmt::format("{}/knot-symex-queries-{}", ::testing::TempDir(), getpid());
  std::ofstream(qfile) << hex;
  const auto expected =
      RunCommand(fmt::format("'{}' '{}' example. < '{}'", native, zone_file, qfile));
  ASSERT_EQ(expected.exit_code, 0) << expected.err;
  std::istringstream lines(expected.out);
  for (size_t i = 0; i < queries.size(); ++i) {
    SCOPED_TRACE(queries[i].first + " " + std::to_string(queries[i].second));
    std::string want;
    ASSERT_TRUE(std::getline(lines, want));
    auto answer =
        ex.Run("iceberg_knot_answer",
               {Arg::ConcreteBuffer("query", wires[i]), Arg::Concrete(wires[i].size(), 64),
                Arg::ConcreteBuffer("out", std::vector<uint8_t>(512, 0), true)},
               loaded.memory.get());
    ASSERT_TRUE(answer.ok()) << answer.message();
    ASSERT_EQ(answer->paths.size(), 1u);
    const PathResult& p = answer->paths[0];
    ASSERT_EQ(p.end, PathEnd::kReturned) << p.message;
    uint64_t len = 0;
    ASSERT_TRUE(p.value->simplify().is_numeral_u64(len));
    std::string got;
    for (uint64_t k = 0; k < len; ++k) {
      uint64_t b = 0;
      ASSERT_TRUE(
          p.memory->Load(answer->objects[2], ctx.bv_val(k, 32), 1).simplify().is_numeral_u64(b));
      got += fmt::format("{:02x}", b);
    }
    EXPECT_EQ(got, want);
  }
  std::printf("answered %zu queries in the executor as the native build does\n", queries.size());
}

}  // namespace
}  // namespace llms::symex
