// Knot DNS's own code, executed symbolically: the name functions of libknot (src/libknot/dname.c
// from Debian's knot source package, the version of the installed engine, fetched into a cache by
// scripts/engine_source.sh), compiled with clang-15 and run by symex on names that are unknown
// bytes. For every content of the buffer (2^64 for 8 bytes, 2^96 for 12) it proves that
// knot_dname_wire_check accepts exactly the uncompressed names RFC 1035 §3.1 describes (labels of
// 1 to 63 octets, a zero octet to end, all inside the buffer) and returns their length, and that
// knot_dname_labels counts their labels. The meaning is written here independently, as a Z3
// formula over the bytes.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "cli_runner.h"
#include "symex/executor.h"
#include "symex/module_loader.h"

namespace llms::symex {
namespace {

// The unpacked knot source tree, or "" (and why) when it cannot be had.
std::string KnotSource(std::string* why) {
  const auto r =
      llms::testing::RunCommand(std::string(LLMS_SOURCE_DIR) + "/scripts/engine_source.sh knot");
  const std::string out = llms::testing::LastLine(r.out);
  if (r.exit_code != 0 || !std::filesystem::exists(out + "/src/libknot/dname.c")) {
    *why = r.err;
    return "";
  }
  return out;
}

struct Meaning {
  z3::expr valid;   // the bytes from `at` on hold a whole uncompressed name
  z3::expr length;  // its wire length (32 bits)
  z3::expr labels;  // its labels, the root's excluded (32 bits)
};

// RFC 1035 §3.1 over bytes[at..n): a zero octet ends the name; a length of 1-63 is followed by
// that many octets and the rest of the name; anything else (64-255, compression pointers
// included, which need a packet) is no name. `at` is concrete, so the recursion is a finite tree.
Meaning NameAt(z3::context& ctx, const std::vector<z3::expr>& bytes, size_t at) {
  Meaning m{ctx.bool_val(false), ctx.bv_val(0, 32), ctx.bv_val(0, 32)};
  if (at >= bytes.size()) return m;
  const z3::expr b = bytes[at];
  for (size_t len = 63; len >= 1; --len) {
    if (at + 1 + len >= bytes.size()) continue;  // the next length octet must be inside
    const Meaning rest = NameAt(ctx, bytes, at + 1 + len);
    const z3::expr is = b == ctx.bv_val(len, 8);
    m.valid = z3::ite(is, rest.valid, m.valid);
    m.length = z3::ite(is, rest.length, m.length);
    m.labels = z3::ite(is, rest.labels + 1, m.labels);
  }
  const z3::expr end = b == ctx.bv_val(0, 8);
  m.valid = z3::ite(end, ctx.bool_val(true), m.valid);
  m.length = z3::ite(end, ctx.bv_val(at + 1, 32), m.length);
  m.labels = z3::ite(end, ctx.bv_val(0, 32), m.labels);
  return m;
}

class KnotCodeTest : public ::testing::TestWithParam<int> {};

TEST_P(KnotCodeTest, WireCheckAcceptsExactlyTheNamesOfRfc1035) {
  const int n = GetParam();
  const std::string clang = LLMS_CLANG_FOR_IR;
  if (clang.empty() || clang.find("NOTFOUND") != std::string::npos) {
    GTEST_SKIP() << "clang-15 is not installed: scripts/setup.sh installs it";
  }
  std::string why;
  const std::string tree = KnotSource(&why);
  if (tree.empty()) {
    if (std::getenv("LLMS_REQUIRE_ENGINES")) FAIL() << "no knot source: " << why;
    GTEST_SKIP()
        << "the knot source package could not be fetched (scripts/engine_source.sh knot):\n"
        << why;
  }
  const std::string harness = fmt::format(R"(
#include "libknot/dname.c"
int check(const uint8_t *b) {{ return knot_dname_wire_check(b, b + {0}, NULL); }}
int labels(const uint8_t *b) {{
  return knot_dname_wire_check(b, b + {0}, NULL) > 0 ? (int)knot_dname_labels(b, NULL) : -1;
}}
)",
                                          n);
  auto module = CompileC(clang, harness, {"-O1", "-I" + tree + "/src", "-I" + tree},
                         fmt::format("{}/knot-dname-{}-{}", ::testing::TempDir(), getpid(), n));
  ASSERT_TRUE(module.ok()) << module.message();
  z3::context ctx;
  Executor ex(ctx, *module->module);

  auto run = ex.Run("check", {Arg::SymbolicBuffer("b", n, /*writable=*/false)});
  ASSERT_TRUE(run.ok()) << run.message();
  std::vector<z3::expr> bytes;
  for (int i = 0; i < n; ++i) bytes.push_back(ctx.bv_const(fmt::format("b[{}]", i).c_str(), 8));
  const Meaning meaning = NameAt(ctx, bytes, 0);
  int accepted = 0;
  for (const PathResult& p : run->paths) {
    ASSERT_EQ(p.end, PathEnd::kReturned) << PathEndName(p.end) << ": " << p.message;
    const z3::expr ret = *p.value;
    const z3::expr ok = ret > ctx.bv_val(0, 32);
    // Accepted exactly where the bytes hold a name, and then with its length.
    const auto wrong = ex.Satisfy(
        p.condition && (ok != meaning.valid || (meaning.valid && ret != meaning.length)));
    EXPECT_FALSE(wrong.has_value()) << "a counterexample: " << (wrong ? wrong->to_string() : "");
    accepted += ex.Satisfy(p.condition && ok).has_value();
  }
  EXPECT_GT(accepted, 0);
  EXPECT_GT(run->paths.size(), 2u);
  std::printf(
      "knot_dname_wire_check on %d symbolic bytes: %zu paths, %lld solver calls, %.2f s in the "
      "solver\n",
      n, run->paths.size(), static_cast<long long>(run->stats.solver_calls),
      run->stats.solver_seconds);

  auto counted = ex.Run("labels", {Arg::SymbolicBuffer("b", n, false)});
  ASSERT_TRUE(counted.ok()) << counted.message();
  for (const PathResult& p : counted->paths) {
    ASSERT_EQ(p.end, PathEnd::kReturned) << p.message;
    const z3::expr ret = *p.value;
    EXPECT_FALSE(ex.Satisfy(p.condition && meaning.valid && ret != meaning.labels).has_value());
    EXPECT_FALSE(
        ex.Satisfy(p.condition && !meaning.valid && ret != ctx.bv_val(-1, 32)).has_value());
  }
}

INSTANTIATE_TEST_SUITE_P(Buffers, KnotCodeTest, ::testing::Values(8, 12));

}  // namespace
}  // namespace llms::symex
