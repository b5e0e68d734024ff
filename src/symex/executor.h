// A symbolic executor over LLVM IR, with Z3 as its solver: runs one function of a module on
// arguments that may be symbolic (bit-vector constants, buffers of symbolic bytes) or concrete,
// forks at every branch both of whose sides the path condition allows, and returns every path:
// its condition, its return value and how it ended. It knows nothing of DNS.
//
// Calls to functions defined in the module are summarised on demand (summary.h): the callee is
// executed once on fresh symbolic parameters, its paths kept as (condition, result) cases, and
// each later call applies the cases to its own arguments. Where the arguments are concrete (or
// point to read-only concrete data) the applied cases are specialised: conditions that the data
// decides are folded and the cases that cannot hold are dropped, and the specialisation is kept
// for the next call with the same data. A callee that writes through a pointer parameter or
// reads mutable global memory is not summarised; it is executed inline.
//
// Anything the executor cannot decide ends its path as kUndecided with the reason (an
// instruction or a callee it does not model, a loop that reached the visit bound, a solver
// timeout): never silently dropped, so a client can refuse to call a run a proof.
//
// What "returned" assumes (its limits as a proof): out-of-bounds and null accesses, division by
// zero and `unreachable` are errors; stack slots start as zeros and heap blocks from malloc as
// fresh values (reading either before writing is not reported); malloc never fails; objects are
// under 4 GiB and an offset that wraps past 2^32 is not detected; shifts by the width or more
// follow Z3's semantics (LLVM calls them poison); there is one thread (atomics act at once,
// fences do nothing); floating-point arithmetic is not modelled (undecided), though its bits
// may be copied.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "symex/memory.h"
#include "symex/stubs.h"

namespace llvm {
class Module;
class Function;
}  // namespace llvm

namespace llms::symex {

struct Options {
  // A path that enters one basic block more often than this (in one call frame) ends kUndecided.
  int max_block_visits = 256;
  // The run stops (remaining paths kUndecided) after this many paths.
  int64_t max_paths = 100000;
  // A symbolic pointer is resolved to at most this many objects.
  int max_pointer_targets = 16;
  // A write, or a read of a pointer or of 4 bytes or more, at a symbolic offset forks one path
  // per position the offset may take, up to this many positions (past it, the access is made at
  // the symbolic offset). A 1- or 2-byte read selects from the object's bytes instead.
  int max_offset_values = 1024;
  bool summaries = true;
  unsigned solver_timeout_ms = 10000;
  // Calls to these functions are not run (defined or not): stubs.h.
  Stubs stubs;
};

struct Stats {
  int64_t paths = 0;         // paths that ended (any way)
  int64_t forks = 0;         // branches where both sides were feasible
  int64_t instructions = 0;  // instructions executed
  int64_t solver_calls = 0;
  double solver_seconds = 0;
  int64_t witness_hits = 0;       // feasibility decided by an earlier call's model, no solver call
  int64_t infeasible_hits = 0;    // ... by an earlier call that found the same condition infeasible
  int64_t single_value_hits = 0;  // a term's values known from an earlier call (it had one)
  int64_t summaries_built = 0;    // functions summarised
  int64_t summaries_applied = 0;  // calls answered by a summary
  int64_t summaries_reused = 0;   // ... of them by a summary built for an earlier call
  int64_t specialisations = 0;    // summaries specialised on concrete arguments
  int64_t specialisations_reused = 0;
  int64_t cases_pruned = 0;    // summary cases a call's arguments ruled out
  int64_t inlined_calls = 0;   // calls executed inline (no summary possible)
  int64_t stub_calls = 0;      // calls answered by a stub rule
  int64_t peak_rss_bytes = 0;  // the process's peak resident memory at the end of the last run
};

enum class PathEnd { kReturned, kError, kUndecided };
const char* PathEndName(PathEnd end);

struct PathResult {
  PathEnd end = PathEnd::kReturned;
  z3::expr condition;                    // over the run's symbolic inputs
  std::optional<z3::expr> value;         // the return value (kReturned, non-void)
  std::string message;                   // kError / kUndecided: what happened, where
  std::shared_ptr<const Memory> memory;  // the memory at the end (outputs through pointers)
};

// An argument of the function run.
struct Arg {
  enum class Kind { kScalar, kBuffer } kind = Kind::kScalar;
  std::string name;
  unsigned bits = 32;                         // kScalar
  std::optional<uint64_t> value;              // kScalar: concrete when set
  size_t size = 0;                            // kBuffer: bytes
  std::optional<std::vector<uint8_t>> bytes;  // kBuffer: concrete contents when set
  std::vector<size_t> symbolic;  // kBuffer with bytes: these positions are symbolic instead
  bool writable = true;          // kBuffer

  static Arg Symbolic(std::string name, unsigned bits);
  static Arg Concrete(uint64_t value, unsigned bits);
  // A pointer to `size` fresh symbolic bytes named name[0..size).
  static Arg SymbolicBuffer(std::string name, size_t size, bool writable = true);
  static Arg ConcreteBuffer(std::string name, std::vector<uint8_t> bytes, bool writable = false);
  // Concrete bytes but for those at `symbolic`, which are fresh symbolic bytes name[i].
  static Arg MixedBuffer(std::string name, std::vector<uint8_t> bytes, std::vector<size_t> symbolic,
                         bool writable = false);
};

struct RunResult {
  std::vector<PathResult> paths;
  // Per argument: the scalar's expression, or the pointer passed for a buffer.
  std::vector<z3::expr> args;
  // Per argument: the buffer's object id (0 for scalars), to read outputs from a path's memory.
  std::vector<uint32_t> objects;
  Stats stats;
};

class Executor {
 public:
  Executor(z3::context& ctx, const llvm::Module& module, Options options = Options());
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs `function` on `args` (one per parameter: scalars for integer parameters, buffers for
  // pointer parameters; a concrete scalar for a pointer is that address, 0 for null). With
  // `start`, from that memory (a path's final memory of an earlier run of this executor: what a
  // concrete run built, a loaded zone, is where the next run begins) instead of the module's
  // globals. An error: no such function, or the arguments do not fit it.
  Result<RunResult> Run(const std::string& function, const std::vector<Arg>& args,
                        const Memory* start = nullptr);

  // The statistics over every run of this executor (summaries persist across runs).
  const Stats& stats() const { return stats_; }

  // Whether `condition` is satisfiable; a model of it when it is.
  std::optional<z3::model> Satisfy(const z3::expr& condition);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
  Stats stats_;
};

}  // namespace llms::symex
