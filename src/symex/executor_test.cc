// Tests of the symbolic executor on small C functions compiled to LLVM IR here, by Debian's
// clang-15: branches on symbolic bytes, a value no sampling finds, loops and their bound, memory
// through pointers and structs, bounds errors, unmodelled calls, and function summaries applied
// more than once and specialised on concrete data. Every verdict is checked against the
// function's meaning, written independently as a Z3 formula or run natively.
#include "symex/executor.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <llvm/IR/Module.h>

#include <unistd.h>
#include <filesystem>

#include "symex/module_loader.h"

namespace llms::symex {
namespace {

namespace fs = std::filesystem;

// `source` compiled with clang-15 at `opt`, loaded; nothing where clang is missing.
std::optional<LoadedModule> Compile(const std::string& source, const std::string& opt = "-O1") {
  const std::string clang = LLMS_CLANG_FOR_IR;
  if (clang.empty() || clang.find("NOTFOUND") != std::string::npos) return std::nullopt;
  static int n = 0;
  const fs::path dir = fs::path(::testing::TempDir()) / fmt::format("symex-{}-{}", getpid(), n++);
  auto m = CompileC(clang, source, {opt}, dir.string());
  EXPECT_TRUE(m.ok()) << m.message();
  if (!m.ok()) return std::nullopt;
  return std::move(*m);
}

#define COMPILE_OR_SKIP(var, ...)                                                       \
  auto var = Compile(__VA_ARGS__);                                                      \
  if (!var) GTEST_SKIP() << "clang-15 is not installed (scripts/setup.sh installs it)"; \
  ASSERT_TRUE(var->module)

// No input satisfies the path's condition and differs from `expected` there.
void ExpectReturns(Executor& ex, const PathResult& p, const z3::expr& expected) {
  ASSERT_EQ(p.end, PathEnd::kReturned) << p.message;
  ASSERT_TRUE(p.value.has_value());
  const z3::expr v = *p.value;
  const unsigned a = v.get_sort().bv_size(), b = expected.get_sort().bv_size();
  const z3::expr e = a == b  ? expected
                     : a > b ? z3::zext(expected, a - b)
                             : expected.extract(a - 1, 0);
  EXPECT_FALSE(ex.Satisfy(p.condition && v != e).has_value())
      << "path " << p.condition.to_string() << " returns " << v.to_string();
}

// The paths' conditions partition the inputs: exactly one holds for each value of `x` (8 bits).
void ExpectPartition(Executor& ex, const std::vector<PathResult>& paths, z3::context& ctx,
                     const z3::expr& x) {
  for (unsigned v = 0; v < 256; ++v) {
    int holding = 0;
    for (const PathResult& p : paths) {
      // The condition at x = v, decided by simplification where it is over x alone.
      z3::expr_vector from(ctx), to(ctx);
      from.push_back(x);
      to.push_back(ctx.bv_val(v, 8));
      const z3::expr at = z3::expr(p.condition).substitute(from, to).simplify();
      holding += at.is_true()    ? 1
                 : at.is_false() ? 0
                                 : ex.Satisfy(p.condition && x == ctx.bv_val(v, 8)).has_value();
    }
    EXPECT_EQ(holding, 1) << "value " << v;
  }
}

const char* const kClassify = R"(
    int classify(unsigned char c) {
      if (c >= 'a' && c <= 'z') return 1;
      if (c >= '0' && c <= '9') return 2;
      if (c == '-') return 3;
      return 0;
    })";

TEST(SymexTest, BranchesOnASymbolicByte) {
  // -O0 keeps every branch; -O1 turns some into selects (fewer paths, the same meaning).
  for (const char* opt : {"-O0", "-O1"}) {
    SCOPED_TRACE(opt);
    COMPILE_OR_SKIP(m, kClassify, opt);
    z3::context ctx;
    Executor ex(ctx, *m->module);
    auto run = ex.Run("classify", {Arg::Symbolic("c", 8)});
    ASSERT_TRUE(run.ok()) << run.message();
    const z3::expr c = run->args[0];
    auto in = [&](char lo, char hi) {
      return z3::uge(c, ctx.bv_val(lo, 8)) && z3::ule(c, ctx.bv_val(hi, 8));
    };
    const z3::expr meaning =
        z3::ite(in('a', 'z'), ctx.bv_val(1, 32),
                z3::ite(in('0', '9'), ctx.bv_val(2, 32),
                        z3::ite(c == ctx.bv_val('-', 8), ctx.bv_val(3, 32), ctx.bv_val(0, 32))));
    std::set<std::string> returned;
    for (const PathResult& p : run->paths) {
      ExpectReturns(ex, p, meaning);
      returned.insert(p.value->simplify().to_string());
    }
    ExpectPartition(ex, run->paths, ctx, c);
    EXPECT_GT(run->stats.solver_calls, 0);
    if (std::string(opt) == "-O0") {
      EXPECT_EQ(returned.size(), 4u);  // 0, 1, 2 and 3, each on paths of its own
      EXPECT_GE(run->stats.forks, 4);
    }
  }
}

// A branch that one 32-bit value in 2^32 takes: a proof finds it, sampling would not.
TEST(SymexTest, FindsTheOneValueThatTakesABranch) {
  for (const char* opt : {"-O0", "-O1"}) {
    SCOPED_TRACE(opt);
    COMPILE_OR_SKIP(m, R"(
      unsigned check(unsigned x) {
        if (x * 2654435761u == 0xdeadbeefu) return 0;
        return 1;
      })",
                    opt);
    z3::context ctx;
    Executor ex(ctx, *m->module);
    auto run = ex.Run("check", {Arg::Symbolic("x", 32)});
    ASSERT_TRUE(run.ok()) << run.message();
    int zero_paths = 0;
    for (const PathResult& p : run->paths) {
      ASSERT_EQ(p.end, PathEnd::kReturned);
      auto model = ex.Satisfy(p.condition && *p.value == ctx.bv_val(0, 32));
      if (!model) continue;
      ++zero_paths;
      uint64_t x = 0;
      ASSERT_TRUE(model->eval(run->args[0], true).is_numeral_u64(x));
      EXPECT_EQ(static_cast<uint32_t>(x) * 2654435761u, 0xdeadbeefu) << x;
      // And it is the only one.
      EXPECT_FALSE(ex.Satisfy(p.condition && *p.value == ctx.bv_val(0, 32) &&
                              run->args[0] != ctx.bv_val(x, 32))
                       .has_value());
    }
    EXPECT_EQ(zero_paths, 1);
    if (std::string(opt) == "-O0") {
      EXPECT_EQ(run->paths.size(), 2u);
    }
  }
}

// A condition tested again on a path it cannot hold on, and a table index with one value, asked
// again: the path remembers both (its condition only grows), so the second test and the second
// read cost no solver call; the verdicts are those of the function's meaning.
TEST(SymexTest, APathRemembersWhatItsConditionDecides) {
  COMPILE_OR_SKIP(m, R"(
    static const int table[8] = {10, 11, 12, 13, 14, 15, 16, 17};
    int twice(unsigned char c, unsigned char k) {
      int n = 0;
      if (c * 3 == 27) n += 1;
      if (k < 8) n += table[k];
      if (c * 3 == 27) n += 100;  /* decided by the first test on each path */
      if (k < 8) n += table[k];   /* the same index: one value on its path */
      return n;
    })",
                  "-O0");
  z3::context ctx;
  Executor ex(ctx, *m->module);
  auto run = ex.Run("twice", {Arg::Symbolic("c", 8), Arg::Symbolic("k", 8)});
  ASSERT_TRUE(run.ok()) << run.message();
  const z3::expr c = run->args[0], k = run->args[1];
  const z3::expr three = ctx.bv_val(3, 8) * c == ctx.bv_val(27, 8);
  z3::expr entry = ctx.bv_val(0, 32);
  for (int i = 7; i >= 0; --i)
    entry = z3::ite(k == ctx.bv_val(i, 8), ctx.bv_val(10 + i, 32), entry);
  const z3::expr meaning = z3::ite(three, ctx.bv_val(101, 32), ctx.bv_val(0, 32)) +
                           z3::ite(z3::ult(k, ctx.bv_val(8, 8)), 2 * entry, ctx.bv_val(0, 32));
  for (const PathResult& p : run->paths) ExpectReturns(ex, p, meaning);
  // c * 3 == 27 has three solutions in 8 bits (9, 94, 179): both sides feasible once, then
  // decided; k < 8 forks into 8 table entries once, then read again at one value.
  EXPECT_EQ(run->paths.size(), 2u * 9u);
  EXPECT_GT(run->stats.infeasible_hits, 0);
  EXPECT_GT(run->stats.single_value_hits, 0);
}

TEST(SymexTest, LoopsOverABufferAndTheirBound) {
  COMPILE_OR_SKIP(m, R"(
    int sum(const unsigned char* s, int n) {
      int t = 0;
      for (int i = 0; i < n; i++) t += s[i];
      return t;
    })");
  z3::context ctx;
  {
    Executor ex(ctx, *m->module);
    auto run = ex.Run("sum", {Arg::SymbolicBuffer("s", 4, false), Arg::Concrete(4, 32)});
    ASSERT_TRUE(run.ok()) << run.message();
    ASSERT_EQ(run->paths.size(), 1u);
    z3::expr total = ctx.bv_val(0, 32);
    for (int i = 0; i < 4; ++i) {
      total = total + z3::zext(ctx.bv_const(fmt::format("s[{}]", i).c_str(), 8), 24);
    }
    ExpectReturns(ex, run->paths[0], total);
  }
  {
    // A symbolic length: one path per length that fits, and reading past the buffer is an error
    // on exactly the lengths above 4.
    Executor ex(ctx, *m->module);
    auto run = ex.Run("sum", {Arg::SymbolicBuffer("s", 4, false), Arg::Symbolic("n", 32)});
    ASSERT_TRUE(run.ok()) << run.message();
    const z3::expr n = run->args[1];
    int returned = 0, errors = 0;
    for (const PathResult& p : run->paths) {
      if (p.end == PathEnd::kReturned) {
        ++returned;
        EXPECT_FALSE(ex.Satisfy(p.condition && n > ctx.bv_val(4, 32)).has_value());
      } else {
        ASSERT_EQ(p.end, PathEnd::kError) << p.message;
        ++errors;
        EXPECT_NE(p.message.find("out-of-bounds read"), std::string::npos) << p.message;
        EXPECT_FALSE(ex.Satisfy(p.condition && n <= ctx.bv_val(4, 32)).has_value());
      }
    }
    EXPECT_EQ(returned, 5);  // n <= 0, 1, 2, 3, 4
    EXPECT_EQ(errors, 1);
  }
  {
    // A loop longer than the bound ends undecided, never as a result.
    Options o;
    o.max_block_visits = 3;
    Executor ex(ctx, *m->module, o);
    auto run = ex.Run("sum", {Arg::SymbolicBuffer("s", 16, false), Arg::Concrete(10, 32)});
    ASSERT_TRUE(run.ok()) << run.message();
    ASSERT_EQ(run->paths.size(), 1u);
    EXPECT_EQ(run->paths[0].end, PathEnd::kUndecided);
    EXPECT_NE(run->paths[0].message.find("loop bound"), std::string::npos);
  }
}

TEST(SymexTest, MemoryThroughPointersAndStructs) {
  const char* source = R"(
    struct pair { int a; int b; };
    void swap(struct pair* p) { int t = p->a; p->a = p->b; p->b = t; }
    int through(int x, int y) {
      struct pair q = {x, y};
      int* r = &q.b;
      *r += 1;
      swap(&q);
      return q.a * 10 + q.b;
    })";
  for (const char* opt : {"-O0", "-O1"}) {
    SCOPED_TRACE(opt);
    COMPILE_OR_SKIP(m, source, opt);
    z3::context ctx;
    Executor ex(ctx, *m->module);
    auto run = ex.Run("through", {Arg::Symbolic("x", 32), Arg::Symbolic("y", 32)});
    ASSERT_TRUE(run.ok()) << run.message();
    ASSERT_EQ(run->paths.size(), 1u);
    const z3::expr x = run->args[0], y = run->args[1];
    ExpectReturns(ex, run->paths[0], (y + 1) * 10 + x);
    // swap itself on a symbolic buffer: the halves exchanged in the path's final memory.
    auto sw = ex.Run("swap", {Arg::SymbolicBuffer("p", 8)});
    ASSERT_TRUE(sw.ok()) << sw.message();
    ASSERT_EQ(sw->paths.size(), 1u);
    const Memory& mem = *sw->paths[0].memory;
    const uint32_t obj = sw->objects[0];
    const z3::expr a = mem.Load(obj, ctx.bv_val(0, 32), 4), b = mem.Load(obj, ctx.bv_val(4, 32), 4);
    auto byte = [&](int i) { return ctx.bv_const(fmt::format("p[{}]", i).c_str(), 8); };
    const z3::expr old_a = z3::concat(byte(3), z3::concat(byte(2), z3::concat(byte(1), byte(0))));
    const z3::expr old_b = z3::concat(byte(7), z3::concat(byte(6), z3::concat(byte(5), byte(4))));
    EXPECT_FALSE(ex.Satisfy(a != old_b || b != old_a).has_value());
  }
}

TEST(SymexTest, OutOfBoundsReadsAreErrorsWithTheirInputs) {
  COMPILE_OR_SKIP(m, "int get(const unsigned char* b, unsigned i) { return b[i]; }");
  z3::context ctx;
  Executor ex(ctx, *m->module);
  auto run = ex.Run("get", {Arg::ConcreteBuffer("b", {10, 20, 30, 40}), Arg::Symbolic("i", 32)});
  ASSERT_TRUE(run.ok()) << run.message();
  const z3::expr i = run->args[1];
  int errors = 0;
  for (const PathResult& p : run->paths) {
    if (p.end == PathEnd::kError) {
      ++errors;
      EXPECT_FALSE(ex.Satisfy(p.condition && z3::ult(i, ctx.bv_val(4, 32))).has_value());
      continue;
    }
    const z3::expr table =
        z3::ite(i == ctx.bv_val(0, 32), ctx.bv_val(10, 32),
                z3::ite(i == ctx.bv_val(1, 32), ctx.bv_val(20, 32),
                        z3::ite(i == ctx.bv_val(2, 32), ctx.bv_val(30, 32), ctx.bv_val(40, 32))));
    ExpectReturns(ex, p, table);
    EXPECT_FALSE(ex.Satisfy(p.condition && z3::uge(i, ctx.bv_val(4, 32))).has_value());
  }
  EXPECT_EQ(errors, 1);
}

// A table of structs indexed by a symbolic byte, with a pointer in each entry (Knot's type
// descriptors): one path per entry the index may reach, each with that entry's values, and the
// index past the table on a path of its own.
TEST(SymexTest, TablesIndexedBySymbolicValuesForkPerEntry) {
  COMPILE_OR_SKIP(m, R"(
    struct entry { const char* name; int weight; };
    static const struct entry table[40] = {
        [1] = {"one", 10}, [5] = {"five", 50}, [17] = {"x-seventeen", 170}, [39] = {"last", 390}};
    int lookup(unsigned char t) {
      if (t >= 40) return -1;
      const struct entry* e = &table[t];
      return e->name == 0 ? 0 : e->weight + e->name[0];
    })");
  z3::context ctx;
  Options small;
  small.max_offset_values = 8;  // fewer positions than the table has: the selecting value
  for (const Options& o : {Options(), small}) {
    Executor ex(ctx, *m->module, o);
    auto run = ex.Run("lookup", {Arg::Symbolic("t", 8)});
    ASSERT_TRUE(run.ok()) << run.message();
    const z3::expr t = run->args[0];
    z3::expr expected = ctx.bv_val(-1, 32);
    for (int k = 39; k >= 0; --k) {
      const int v = k == 1    ? 10 + 'o'
                    : k == 5  ? 50 + 'f'
                    : k == 17 ? 170 + 'x'
                    : k == 39 ? 390 + 'l'
                              : 0;
      expected = z3::ite(t == ctx.bv_val(k, 8), ctx.bv_val(v, 32), expected);
    }
    for (const PathResult& p : run->paths) ExpectReturns(ex, p, expected);
    ExpectPartition(ex, run->paths, ctx, t);
    if (o.max_offset_values >= 40) {
      EXPECT_GE(run->paths.size(), 41u);
    }
  }
}

// Byte tables indexed by a symbolic byte (a lower-casing table, a scrambled one): one path, no
// fork, whose value is each table's entry for every index (the first is three runs, the second
// an array of 256 entries).
TEST(SymexTest, ByteTablesAreReadWithoutForking) {
  std::string lower, mix, shift;
  auto entry = [](int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
  auto scrambled = [](int c) { return (c * 37 + 11) & 0xff; };
  auto shifted = [](int c) { return (c + 200) & 0xff; };  // one run counting past 255 to 0
  for (int c = 0; c < 256; ++c) {
    lower += fmt::format("{},", entry(c));
    mix += fmt::format("{},", scrambled(c));
    shift += fmt::format("{},", shifted(c));
  }
  COMPILE_OR_SKIP(m, fmt::format(R"(
    static const unsigned char lower[256] = {{{}}};
    static const unsigned char mix[256] = {{{}}};
    static const unsigned char shift[256] = {{{}}};
    int f(unsigned char c) {{ return lower[c] + 256 * mix[c] + 65536 * shift[c]; }})",
                                 lower, mix, shift));
  z3::context ctx;
  Executor ex(ctx, *m->module);
  auto run = ex.Run("f", {Arg::Symbolic("c", 8)});
  ASSERT_TRUE(run.ok()) << run.message();
  ASSERT_EQ(run->paths.size(), 1u);
  const PathResult& p = run->paths[0];
  ASSERT_EQ(p.end, PathEnd::kReturned) << p.message;
  for (int k = 0; k < 256; ++k) {
    // The value at c = k, by simplification (an array of 256 stores is slow to prove against).
    z3::expr_vector from(ctx), to(ctx);
    from.push_back(run->args[0]);
    to.push_back(ctx.bv_val(k, 8));
    uint64_t v = 0;
    ASSERT_TRUE(z3::expr(*p.value).substitute(from, to).simplify().is_numeral_u64(v)) << k;
    EXPECT_EQ(v, static_cast<uint64_t>(entry(k) + 256 * scrambled(k) + 65536 * shifted(k))) << k;
  }
}

// memcpy of a symbolic length (a name's length copied into a packet): one path per length it
// may take, each copying that many bytes.
TEST(SymexTest, MemoryBuiltinsWithASymbolicLengthForkPerLength) {
  COMPILE_OR_SKIP(m, R"(
    #include <string.h>
    int f(const unsigned char* src, unsigned char n) {
      unsigned char buf[8] = {0};
      if (n > 8) return -1;
      memcpy(buf, src, n);
      return buf[0] + 100 * buf[7];
    })");
  z3::context ctx;
  Executor ex(ctx, *m->module);
  auto run =
      ex.Run("f", {Arg::ConcreteBuffer("src", {1, 2, 3, 4, 5, 6, 7, 8}), Arg::Symbolic("n", 8)});
  ASSERT_TRUE(run.ok()) << run.message();
  const z3::expr n = run->args[1];
  const z3::expr expected =
      z3::ite(z3::ugt(n, ctx.bv_val(8, 8)), ctx.bv_val(-1, 32),
              z3::ite(n == ctx.bv_val(0, 8), ctx.bv_val(0, 32),
                      z3::ite(n == ctx.bv_val(8, 8), ctx.bv_val(801, 32), ctx.bv_val(1, 32))));
  for (const PathResult& p : run->paths) ExpectReturns(ex, p, expected);
  ExpectPartition(ex, run->paths, ctx, n);
  EXPECT_GE(run->paths.size(), 10u);  // n > 8, and each of 0..8
}

// A length that underflows (malloc(len - 1) at len 0 asks for 2^64 - 1 bytes) ends its own path
// undecided, with the inputs that reach it; the other lengths run.
TEST(SymexTest, AHugeLengthEndsItsPathUndecided) {
  COMPILE_OR_SKIP(m, R"(
    #include <stdlib.h>
    #include <string.h>
    int f(unsigned long len) {
      if (len > 4) return -1;
      char* p = malloc(len - 1);
      if (!p) return -2;
      memset(p, 7, len - 1);
      int r = len > 1 ? p[0] : 0;
      free(p);
      return r;
    })");
  z3::context ctx;
  Executor ex(ctx, *m->module);
  auto run = ex.Run("f", {Arg::Symbolic("len", 64)});
  ASSERT_TRUE(run.ok()) << run.message();
  const z3::expr len = run->args[0];
  int undecided = 0;
  for (const PathResult& p : run->paths) {
    if (p.end == PathEnd::kUndecided) {
      ++undecided;
      EXPECT_NE(p.message.find("more than the executor models"), std::string::npos) << p.message;
      EXPECT_FALSE(ex.Satisfy(p.condition && len != ctx.bv_val(0, 64)).has_value());
      continue;
    }
    ExpectReturns(ex, p,
                  z3::ite(z3::ugt(len, ctx.bv_val(4, 64)), ctx.bv_val(-1, 32),
                          z3::ite(len == ctx.bv_val(1, 64), ctx.bv_val(0, 32), ctx.bv_val(7, 32))));
    EXPECT_FALSE(ex.Satisfy(p.condition && len == ctx.bv_val(0, 64)).has_value());
  }
  EXPECT_EQ(undecided, 1);
}

// The bounded string functions read no further than their bound: a buffer without a NUL is
// fine within it.
TEST(SymexTest, BoundedStringFunctionsStopAtTheirBound) {
  COMPILE_OR_SKIP(m, R"(
    #include <stdlib.h>
    #include <string.h>
    int f(const char* a, const char* b) {
      char* d = strndup(a, 2);
      int r = (int)strnlen(a, 4) * 100 + (strncmp(a, b, 3) == 0) * 10 + (strncmp(a, b, 4) < 0) +
              (int)strlen(d) * 1000;
      free(d);
      return r;
    })",
                  "-O0");
  z3::context ctx;
  Executor ex(ctx, *m->module);
  auto run = ex.Run("f", {Arg::ConcreteBuffer("a", {'a', 'b', 'c', 'd'}),
                          Arg::ConcreteBuffer("b", {'a', 'b', 'c', 'x', 'y', 0})});
  ASSERT_TRUE(run.ok()) << run.message();
  ASSERT_EQ(run->paths.size(), 1u);
  EXPECT_EQ(run->paths[0].message, "");
  ExpectReturns(ex, run->paths[0], ctx.bv_val(2411, 32));
}

// A write of a word at a symbolic index: one path per element in bounds, each writing that one,
// and errors for every index past the array (out of bounds, or, where the 64-bit address
// arithmetic carries into the object's half of the pointer, through an invalid pointer).
TEST(SymexTest, WordWritesAtASymbolicIndexForkPerElement) {
  COMPILE_OR_SKIP(m, R"(
    int f(unsigned i) {
      int a[4] = {0, 0, 0, 0};
      a[i] = 5;
      return a[0] + 10 * a[1] + 100 * a[2] + 1000 * a[3];
    })",
                  "-O0");
  z3::context ctx;
  Executor ex(ctx, *m->module);
  auto run = ex.Run("f", {Arg::Symbolic("i", 32)});
  ASSERT_TRUE(run.ok()) << run.message();
  const z3::expr i = run->args[0];
  int errors = 0, returned = 0;
  for (const PathResult& p : run->paths) {
    if (p.end == PathEnd::kError) {
      ++errors;
      EXPECT_TRUE(p.message.find("out-of-bounds write") != std::string::npos ||
                  p.message.find("write through an invalid pointer") != std::string::npos)
          << p.message;
      EXPECT_FALSE(ex.Satisfy(p.condition && z3::ult(i, ctx.bv_val(4, 32))).has_value());
      continue;
    }
    ++returned;
    ExpectReturns(ex, p,
                  z3::ite(i == ctx.bv_val(0, 32), ctx.bv_val(5, 32),
                          z3::ite(i == ctx.bv_val(1, 32), ctx.bv_val(50, 32),
                                  z3::ite(i == ctx.bv_val(2, 32), ctx.bv_val(500, 32),
                                          ctx.bv_val(5000, 32)))));
    EXPECT_FALSE(ex.Satisfy(p.condition && z3::uge(i, ctx.bv_val(4, 32))).has_value());
  }
  EXPECT_GE(errors, 1);
  EXPECT_EQ(returned, 4);
}

// A buffer of concrete bytes with some symbolic ones (a packet whose one field is unknown).
TEST(SymexTest, MixedBuffers) {
  COMPILE_OR_SKIP(m, "int f(const unsigned char* b) { return b[0] * 256 + b[1] + b[2]; }");
  z3::context ctx;
  Executor ex(ctx, *m->module);
  auto run = ex.Run("f", {Arg::MixedBuffer("b", {5, 0, 7}, {1})});
  ASSERT_TRUE(run.ok()) << run.message();
  ASSERT_EQ(run->paths.size(), 1u);
  ExpectReturns(ex, run->paths[0],
                ctx.bv_val(5 * 256 + 7, 32) + z3::zext(ctx.bv_const("b[1]", 8), 24));
  EXPECT_FALSE(ex.Run("f", {Arg::MixedBuffer("b", {5}, {3})}).ok());  // past the buffer
}

TEST(SymexTest, AnUnmodelledCallIsUndecidedAndSaysWhich) {
  COMPILE_OR_SKIP(m, "extern int mystery(int); int f(int x) { return mystery(x) + 1; }");
  z3::context ctx;
  Executor ex(ctx, *m->module);
  auto run = ex.Run("f", {Arg::Symbolic("x", 32)});
  ASSERT_TRUE(run.ok()) << run.message();
  ASSERT_EQ(run->paths.size(), 1u);
  EXPECT_EQ(run->paths[0].end, PathEnd::kUndecided);
  EXPECT_NE(run->paths[0].message.find("mystery"), std::string::npos) << run->paths[0].message;
  EXPECT_FALSE(ex.Run("nothere", {}).ok());
  EXPECT_FALSE(ex.Run("f", {}).ok());
}

const char* const kLower = R"(
  __attribute__((noinline)) int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }
  int eq_ci(unsigned char a, unsigned char b) { return lower(a) == lower(b); })";

TEST(SymexTest, ASummaryIsBuiltOnceAndAppliedAtEveryCall) {
  COMPILE_OR_SKIP(m, kLower);
  z3::context ctx;
  auto meaning = [&](const z3::expr& a, const z3::expr& b) {
    auto low = [&](const z3::expr& c) {
      return z3::ite(z3::uge(c, ctx.bv_val('A', 8)) && z3::ule(c, ctx.bv_val('Z', 8)),
                     c + ctx.bv_val(32, 8), c);
    };
    return z3::ite(low(a) == low(b), ctx.bv_val(1, 32), ctx.bv_val(0, 32));
  };
  for (bool summaries : {true, false}) {
    SCOPED_TRACE(summaries);
    Options o;
    o.summaries = summaries;
    Executor ex(ctx, *m->module, o);
    auto run = ex.Run("eq_ci", {Arg::Symbolic("a", 8), Arg::Symbolic("b", 8)});
    ASSERT_TRUE(run.ok()) << run.message();
    for (const PathResult& p : run->paths)
      ExpectReturns(ex, p, meaning(run->args[0], run->args[1]));
    if (summaries) {
      EXPECT_EQ(run->stats.summaries_built, 1);
      EXPECT_GE(run->stats.summaries_applied, 2);
      EXPECT_GE(run->stats.summaries_reused, 1);
      EXPECT_EQ(run->stats.inlined_calls, 0);
    } else {
      EXPECT_EQ(run->stats.summaries_built, 0);
      EXPECT_GE(run->stats.inlined_calls, 2);
    }
  }
  // Applied to concrete arguments, the summary folds to the value (at -O0 `lower` branches, so
  // its summary has several cases and each call rules some out).
  COMPILE_OR_SKIP(
      k, std::string(kLower) + "\nint pair(void) { return lower('Q') * 1000 + lower('q'); }",
      "-O0");
  Executor ex(ctx, *k->module);
  auto run = ex.Run("pair", {});
  ASSERT_TRUE(run.ok()) << run.message();
  ASSERT_EQ(run->paths.size(), 1u);
  ExpectReturns(ex, run->paths[0], ctx.bv_val('q' * 1000 + 'q', 32));
  EXPECT_GE(run->stats.cases_pruned, 2);  // each call rules out the other case
}

// A lookup in a concrete table: the summary of `find` is specialised on the table once, the
// cases the table rules out are dropped, and the second call reuses the specialisation.
TEST(SymexTest, SummariesAreSpecialisedOnConcreteDataAndReused) {
  COMPILE_OR_SKIP(m, R"(
    struct entry { unsigned char key, value; };
    __attribute__((noinline)) int find(const struct entry* t, unsigned char k) {
      for (int i = 0; i < 4; i++)
        if (t[i].key == k) return t[i].value;
      return -1;
    }
    int lookup2(const struct entry* t, unsigned char a, unsigned char b) {
      return find(t, a) * 1000 + find(t, b);
    })");
  const std::vector<uint8_t> table{7, 1, 9, 2, 7, 3, 4, 4};  // key 7 twice: the first wins
  z3::context ctx;
  auto value = [&](const z3::expr& k) {
    z3::expr v = ctx.bv_val(-1, 32);
    for (int i = 3; i >= 0; --i) {
      v = z3::ite(k == ctx.bv_val(table[2 * i], 8), ctx.bv_val(table[2 * i + 1], 32), v);
    }
    return v;
  };
  for (bool writable : {false, true}) {
    SCOPED_TRACE(writable);
    Executor ex(ctx, *m->module);
    auto run = ex.Run("lookup2", {Arg::ConcreteBuffer("t", table, writable), Arg::Symbolic("a", 8),
                                  Arg::Symbolic("b", 8)});
    ASSERT_TRUE(run.ok()) << run.message();
    const z3::expr a = run->args[1], b = run->args[2];
    for (const PathResult& p : run->paths) {
      ExpectReturns(ex, p, value(a) * ctx.bv_val(1000, 32) + value(b));
    }
    // Four distinct keys found or not, for each of the two lookups: 4 x 4 paths.
    EXPECT_EQ(run->paths.size(), 16u);
    EXPECT_EQ(run->stats.summaries_built, 1);
    if (!writable) {
      EXPECT_EQ(run->stats.specialisations, 1);
      EXPECT_GE(run->stats.specialisations_reused, 1);
    } else {
      // Memory the code may change is never baked into a summary.
      EXPECT_EQ(run->stats.specialisations, 0);
    }
  }
}

// A callee that writes through its pointer parameter has no summary: it runs inline.
TEST(SymexTest, ACalleeThatWritesThroughAPointerRunsInline) {
  COMPILE_OR_SKIP(m, R"(
    __attribute__((noinline)) void inc(int* p) { *p += 1; }
    int twice(int x) { int v = x; inc(&v); inc(&v); return v; })");
  z3::context ctx;
  Executor ex(ctx, *m->module);
  auto run = ex.Run("twice", {Arg::Symbolic("x", 32)});
  ASSERT_TRUE(run.ok()) << run.message();
  ASSERT_EQ(run->paths.size(), 1u);
  ExpectReturns(ex, run->paths[0], run->args[0] + 2);
  EXPECT_EQ(run->stats.summaries_built, 0);
  EXPECT_EQ(run->stats.inlined_calls, 2);
}

// Structs returned by value (extractvalue/insertvalue) and atomics (fetch-add, compare-exchange).
TEST(SymexTest, AggregatesAndAtomics) {
  COMPILE_OR_SKIP(m, R"(
    struct two { long a; long b; };
    __attribute__((noinline)) struct two make(long x) { struct two t = { x, x + 1 }; return t; }
    long use(long x) { struct two t = make(x); return t.a * 3 + t.b; }
    int atom(int x) {
      int v = x;
      int old = __atomic_fetch_add(&v, 5, __ATOMIC_SEQ_CST);
      int expected = old + 5;
      int ok = __atomic_compare_exchange_n(&v, &expected, 100, 0, __ATOMIC_SEQ_CST,
                                           __ATOMIC_SEQ_CST);
      int expected2 = 1;
      int ok2 = __atomic_compare_exchange_n(&v, &expected2, 7, 0, __ATOMIC_SEQ_CST,
                                            __ATOMIC_SEQ_CST);
      return ok * 10000 + ok2 * 1000 + v + old + expected2;
    })");
  z3::context ctx;
  Executor ex(ctx, *m->module);
  auto run = ex.Run("use", {Arg::Symbolic("x", 64)});
  ASSERT_TRUE(run.ok()) << run.message();
  ASSERT_EQ(run->paths.size(), 1u);
  ExpectReturns(ex, run->paths[0], run->args[0] * 4 + 1);
  auto at = ex.Run("atom", {Arg::Symbolic("x", 32)});
  ASSERT_TRUE(at.ok()) << at.message();
  // The first exchange succeeds (v was x + 5); the second fails (v is 100, not 1) and loads 100
  // into expected2.
  for (const PathResult& p : at->paths) ExpectReturns(ex, p, at->args[0] + 10000 + 100 + 100);
}

// Regressions found in review: each of these gave a wrong result through a summary.
TEST(SymexTest, SummariesStaySoundAtTheirEdges) {
  COMPILE_OR_SKIP(m, R"(
    extern int r(void);
    __attribute__((noinline)) int first(const char* p) { return p[0]; }
    int call_first(const char* p) { return first(p); }
    __attribute__((noinline)) static int lt(const char* a, const char* b) { return a < b; }
    int compare(const char* x) { return lt(x + 1, x); }
    __attribute__((noinline)) static int before(const char* a, const char* b) { return b[-1]; }
    int back(const char* x) { return before(x, x + 1); }
    __attribute__((noinline)) int get(void) { return r(); }
    int twice(void) { return get() != get(); }
    __attribute__((noinline)) int eighth(const char* p) { return p[8]; }
    int past(const char* p) { return eighth(p); }
    unsigned divide(unsigned a, unsigned b) { return a / b; })");
  z3::context ctx;
  Options o;
  o.stubs = *ParseStubs("r fresh\n", "test.stubs");
  Executor ex(ctx, *m->module, o);
  // The specialisation on one buffer's bytes is not reused for another buffer at the same place.
  for (uint8_t v : {1, 2}) {
    auto run = ex.Run("call_first", {Arg::ConcreteBuffer("p", {v})});
    ASSERT_TRUE(run.ok()) << run.message();
    ASSERT_EQ(run->paths.size(), 1u);
    ExpectReturns(ex, run->paths[0], ctx.bv_val(v, 32));
  }
  // Two parameters pointing into one object compare as the caller's addresses do.
  auto cmp = ex.Run("compare", {Arg::ConcreteBuffer("x", {0, 0})});
  ASSERT_TRUE(cmp.ok()) << cmp.message();
  ASSERT_EQ(cmp->paths.size(), 1u);
  ExpectReturns(ex, cmp->paths[0], ctx.bv_val(0, 32));
  // A negative index through a parameter reads the caller's byte before the pointer.
  auto neg = ex.Run("back", {Arg::ConcreteBuffer("x", {42, 7})});
  ASSERT_TRUE(neg.ok()) << neg.message();
  ASSERT_EQ(neg->paths.size(), 1u);
  ExpectReturns(ex, neg->paths[0], ctx.bv_val(42, 32));
  // Two calls of a function returning a fresh value may differ.
  auto fresh = ex.Run("twice", {});
  ASSERT_TRUE(fresh.ok()) << fresh.message();
  bool differ = false;
  for (const PathResult& p : fresh->paths) {
    differ |= ex.Satisfy(p.condition && *p.value == ctx.bv_val(1, 32)).has_value();
  }
  EXPECT_TRUE(differ);
  // A read past the buffer in the callee: an error, and no path returns.
  auto oob = ex.Run("past", {Arg::ConcreteBuffer("p", {1, 2, 3, 4})});
  ASSERT_TRUE(oob.ok()) << oob.message();
  ASSERT_EQ(oob->paths.size(), 1u);
  EXPECT_EQ(oob->paths[0].end, PathEnd::kError) << oob->paths[0].message;
  // Division by zero is undefined behaviour: an error path exactly where b is 0.
  auto div = ex.Run("divide", {Arg::Symbolic("a", 32), Arg::Symbolic("b", 32)});
  ASSERT_TRUE(div.ok()) << div.message();
  int errors = 0;
  for (const PathResult& p : div->paths) {
    if (p.end != PathEnd::kError) continue;
    ++errors;
    EXPECT_FALSE(ex.Satisfy(p.condition && div->args[1] != ctx.bv_val(0, 32)).has_value());
  }
  EXPECT_EQ(errors, 1);
}

TEST(SymexTest, StubRulesReplaceCalls) {
  const char* source = R"(
    extern void log_it(const char* what, ...);
    extern int now(void);
    int f(int x) { log_it("x=%d", x); return now() == 7 ? x : -x; })";
  COMPILE_OR_SKIP(m, source);
  z3::context ctx;
  auto run_with = [&](const std::string& rules) {
    Options o;
    auto stubs = ParseStubs(rules, "test.stubs");
    EXPECT_TRUE(stubs.ok()) << stubs.message();
    o.stubs = *stubs;
    auto ex = std::make_unique<Executor>(ctx, *m->module, o);
    auto run = ex->Run("f", {Arg::Symbolic("x", 32)});
    EXPECT_TRUE(run.ok()) << run.message();
    return std::make_pair(std::move(ex), std::move(*run));
  };
  {
    auto [ex, run] = run_with("log_it skip\nnow return 7\n");
    ASSERT_EQ(run.paths.size(), 1u);
    ExpectReturns(*ex, run.paths[0], run.args[0]);
    EXPECT_EQ(run.stats.stub_calls, 2);
    EXPECT_GT(run.stats.peak_rss_bytes, 0);
  }
  {
    // A fresh result: both outcomes are possible (as paths, or as one select).
    auto [ex, run] = run_with("log_it skip\nnow fresh\n");
    const z3::expr x = run.args[0], zero = ctx.bv_val(0, 32);
    bool plus = false, minus = false;
    for (const PathResult& p : run.paths) {
      plus |= ex->Satisfy(p.condition && x != zero && *p.value == x).has_value();
      minus |= ex->Satisfy(p.condition && x != zero && *p.value == -x).has_value();
    }
    EXPECT_TRUE(plus && minus);
  }
  {
    auto [ex, run] = run_with("log_it fail logging is not expected here\nnow return 7\n");
    ASSERT_EQ(run.paths.size(), 1u);
    EXPECT_EQ(run.paths[0].end, PathEnd::kError);
    EXPECT_NE(run.paths[0].message.find("logging is not expected here"), std::string::npos);
  }
  {
    // Without a rule for now(), the path is undecided and names it.
    auto [ex, run] = run_with("log_it skip\n");
    ASSERT_EQ(run.paths.size(), 1u);
    EXPECT_EQ(run.paths[0].end, PathEnd::kUndecided);
    EXPECT_NE(run.paths[0].message.find("now"), std::string::npos);
  }
}

}  // namespace
}  // namespace llms::symex
