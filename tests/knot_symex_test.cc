// Knot's harness (src/iceberg/knot/harness.c with Knot's own code, scripts/knot_bitcode.sh) run by
// the symbolic executor: the zone loaded by Knot's loader inside the executor, then queries
// answered from that memory, compared with the native build of the same code.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "cli_runner.h"
#include "dns/wire.h"
#include "iceberg/verify/knot_code.h"
#include "symex/executor.h"
#include "symex/module_loader.h"
#include "symex/stubs.h"

namespace llms::symex {
namespace {

namespace fs = std::filesystem;

using iceberg::KnotCode;
using llms::testing::ReadFile;

// knot_native's answers (hex, one line each; empty when knotd sends nothing) to `queries`.
std::vector<std::string> NativeAnswers(const KnotCode& knot, const std::string& zone_file,
                                       const char* origin,
                                       const std::vector<std::vector<uint8_t>>& queries) {
  auto answers = iceberg::NativeAnswers(knot, zone_file, origin, queries);
  EXPECT_TRUE(answers.ok()) << answers.message();
  std::vector<std::string> out;
  if (!answers.ok()) return out;
  for (const auto& a : *answers) {
    std::string hex;
    for (uint8_t b : a) hex += fmt::format("{:02x}", b);
    out.push_back(std::move(hex));
  }
  return out;
}

// Knot's bitcode in an executor, `basic.zone` loaded by Knot's loader inside it: shared by the
// tests (the load is the slow part).
class KnotSymexTest : public ::testing::Test {
 protected:
  struct Loaded {
    KnotCode knot;
    std::unique_ptr<LoadedModule> module;
    z3::context ctx;
    std::unique_ptr<Executor> ex;
    std::optional<PathResult> zone;  // the load's one path
  };

  static void SetUpTestSuite() {
    auto knot = iceberg::BuildKnotCode();
    if (!knot.ok()) {
      if (std::getenv("LLMS_REQUIRE_ENGINES")) ADD_FAILURE() << knot.message();
      std::printf("Knot's code could not be built: %s\n", knot.message().c_str());
      return;
    }
    auto module = LoadModule(knot->bitcode);
    ASSERT_TRUE(module.ok()) << module.message();
    auto l = std::make_unique<Loaded>();
    l->knot = std::move(*knot);
    l->module = std::make_unique<LoadedModule>(std::move(*module));
    Options o;
    o.stubs = l->knot.stubs;
    o.max_block_visits = 100000;
    l->ex = std::make_unique<Executor>(l->ctx, *l->module->module, o);
    auto zone = iceberg::LoadZoneInExecutor(*l->ex, ReadFile(ZoneFile()), "example.");
    ASSERT_TRUE(zone.ok()) << zone.message();
    l->zone = std::move(*zone);
    const Stats& load = l->ex->stats();
    std::printf(
        "load: %lld instructions, %lld solver calls (%.1f s), %lld forks, summaries %lld built "
        "%lld applied, %lld inlined calls\n",
        static_cast<long long>(load.instructions), static_cast<long long>(load.solver_calls),
        load.solver_seconds, static_cast<long long>(load.forks),
        static_cast<long long>(load.summaries_built),
        static_cast<long long>(load.summaries_applied), static_cast<long long>(load.inlined_calls));
    loaded_ = l.release();
  }
  static void TearDownTestSuite() {
    delete loaded_;
    loaded_ = nullptr;
  }
  void SetUp() override {
    if (!loaded_) GTEST_SKIP() << "Knot's bitcode could not be built or loaded";
  }
  static std::string ZoneFile() {
    return std::string(LLMS_SOURCE_DIR) + "/tests/iceberg/zones/basic.zone";
  }

  static Loaded* loaded_;
};
KnotSymexTest::Loaded* KnotSymexTest::loaded_ = nullptr;

TEST_F(KnotSymexTest, LoadsTheZoneAndAnswersAsTheNativeBuild) {
  const KnotCode* knot = &loaded_->knot;
  z3::context& ctx = loaded_->ctx;
  Executor& ex = *loaded_->ex;
  const PathResult* loaded = &*loaded_->zone;
  const std::string zone_file = ZoneFile();
  // Queries answered from the loaded memory, concretely: the answer's bytes as the native build
  // of the same code gives them.
  const std::vector<std::pair<std::string, uint16_t>> queries{
      {"www.example.", 1},    {"nothere.example.", 1}, {"example.", 6}, {"www.example.", 16},
      {"a.b.c.example.", 16}, {"b.c.example.", 1},     {"example.", 2}, {"WWW.Example.", 28}};
  std::vector<std::vector<uint8_t>> wires;
  for (const auto& [name, type] : queries) {
    wires.push_back(dns::EncodeQuery(0x1234, *dns::Name::Parse(name), type, /*udp_size=*/0));
  }
  const auto expected = NativeAnswers(*knot, zone_file, "example.", wires);
  ASSERT_EQ(expected.size(), queries.size());
  for (size_t i = 0; i < queries.size(); ++i) {
    SCOPED_TRACE(queries[i].first + " " + std::to_string(queries[i].second));
    auto answer =
        ex.Run("iceberg_knot_answer",
               {Arg::ConcreteBuffer("query", wires[i]), Arg::Concrete(wires[i].size(), 64),
                Arg::ConcreteBuffer("out", std::vector<uint8_t>(512, 0), true)},
               loaded->memory.get());
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
    EXPECT_EQ(got, expected[i]);
  }
  std::printf("answered %zu queries in the executor as the native build does\n", queries.size());
}

// A query whose type (all 65,536 values) and whose first label's two bytes (any values) are
// unknown, run through Knot's code on the loaded zone: every path returns an answer; the paths'
// conditions partition the query space; and on each path, two queries its condition allows,
// sent to the native build, get the bytes the path's symbolic answer gives for them.
TEST_F(KnotSymexTest, AnswersASymbolicQueryOnEveryPath) {
  const KnotCode* knot = &loaded_->knot;
  z3::context& ctx = loaded_->ctx;
  Executor& ex = *loaded_->ex;
  const PathResult* loaded = &*loaded_->zone;
  const std::string zone_file = ZoneFile();

  // "??.example." type ??: the header (12 bytes), then label length 2 and its two bytes.
  const std::vector<uint8_t> wire =
      dns::EncodeQuery(0x1234, *dns::Name::Parse("ab.example."), 1, /*udp_size=*/0);
  const size_t type_at = wire.size() - 4;
  const std::vector<size_t> unknown{13, 14, type_at, type_at + 1};
  const Stats before = ex.stats();  // the executor's statistics count every run it made
  auto run = ex.Run("iceberg_knot_answer",
                    {Arg::MixedBuffer("query", wire, unknown), Arg::Concrete(wire.size(), 64),
                     Arg::ConcreteBuffer("out", std::vector<uint8_t>(512, 0), true)},
                    loaded->memory.get());
  ASSERT_TRUE(run.ok()) << run.message();
  const Stats& st = run->stats;
  std::printf(
      "symbolic query: %zu paths, %lld forks, %lld instructions, %lld solver calls (%.1f s), %lld "
      "decided by an earlier model\n",
      run->paths.size(), static_cast<long long>(st.forks - before.forks),
      static_cast<long long>(st.instructions - before.instructions),
      static_cast<long long>(st.solver_calls - before.solver_calls),
      st.solver_seconds - before.solver_seconds,
      static_cast<long long>(st.witness_hits - before.witness_hits));
  ASSERT_GE(run->paths.size(), 2u);

  std::vector<z3::expr> inputs;
  for (size_t at : unknown) inputs.push_back(ctx.bv_const(fmt::format("query[{}]", at).c_str(), 8));
  // Disjoint, and together every query.
  z3::expr any = ctx.bool_val(false);
  for (size_t i = 0; i < run->paths.size(); ++i) {
    const PathResult& p = run->paths[i];
    ASSERT_EQ(p.end, PathEnd::kReturned) << p.message;
    any = any || p.condition;
    for (size_t j = i + 1; j < run->paths.size(); ++j) {
      EXPECT_FALSE(ex.Satisfy(p.condition && run->paths[j].condition).has_value())
          << "paths " << i << " and " << j << " overlap";
    }
  }
  EXPECT_FALSE(ex.Satisfy(!any).has_value()) << "a query no path covers";

  // Two queries per path, concrete: the path's answer evaluated at each, and the native build's.
  std::vector<std::vector<uint8_t>> queries;
  std::vector<std::string> derived;
  for (const PathResult& p : run->paths) {
    z3::expr condition = p.condition;
    for (int sample = 0; sample < 2; ++sample) {
      const auto model = ex.Satisfy(condition);
      if (!model) break;  // a path of one query
      std::vector<uint8_t> q = wire;
      z3::expr same = ctx.bool_val(true);
      for (size_t k = 0; k < unknown.size(); ++k) {
        uint64_t b = 0;
        ASSERT_TRUE(model->eval(inputs[k], true).is_numeral_u64(b));
        q[unknown[k]] = static_cast<uint8_t>(b);
        same = same && inputs[k] == ctx.bv_val(b, 8);
      }
      condition = condition && !same;
      uint64_t len = 0;
      ASSERT_TRUE(model->eval(*p.value, true).is_numeral_u64(len));
      std::string answer;
      for (uint64_t k = 0; k < len && len <= 512; ++k) {
        uint64_t b = 0;
        ASSERT_TRUE(model->eval(p.memory->Load(run->objects[2], ctx.bv_val(k, 32), 1), true)
                        .is_numeral_u64(b));
        answer += fmt::format("{:02x}", b);
      }
      queries.push_back(std::move(q));
      derived.push_back(std::move(answer));
    }
  }
  const auto native = NativeAnswers(*knot, zone_file, "example.", queries);
  ASSERT_EQ(native.size(), queries.size());
  for (size_t i = 0; i < queries.size(); ++i) {
    EXPECT_EQ(derived[i], native[i]) << "query " << i << " (type "
                                     << (queries[i][type_at] << 8 | queries[i][type_at + 1]) << ")";
  }
  std::printf("%zu queries drawn from the paths answered as the native build answers them\n",
              queries.size());
}

}  // namespace
}  // namespace llms::symex
