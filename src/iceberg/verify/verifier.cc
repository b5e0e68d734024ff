// `iceberg verify`: label structures enumerated, Knot's code run symbolically on each, every path
// proved a template, split into cells the specification cannot tell apart, and compared.
#include "iceberg/verify/verifier.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "dns/wire.h"
#include "iceberg/checker.h"
#include "iceberg/dns_client.h"
#include "iceberg/engine.h"
#include "iceberg/verify/knot_code.h"
#include "iceberg/zone_index.h"
#include "symex/module_loader.h"

namespace llms::iceberg {

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint16_t kQueryId = 0x1234;
// Cells per path past which the path is left undecided (a path no atom decides splits into at
// most (labels of its length + 1) per label times (types + 1) cells).
constexpr size_t kMaxCellsPerPath = 4096;

bool IsLetter(uint8_t c) {
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A label structure: label lengths from the root down (index 0: the label under the root).
using Structure = std::vector<size_t>;

std::string StructureText(const Structure& s) {
  if (s.empty()) return ". (the root)";
  std::string out;
  for (size_t i = s.size(); i-- > 0;) out += fmt::format("<{}>.", s[i]);
  return out;
}

// The query of a structure: header, the labels (deepest first) as placeholders, the root, the
// type placeholder and class IN. `symbolic` lists the positions left unknown.
struct QueryShape {
  std::vector<uint8_t> wire;
  std::vector<size_t> symbolic;
  std::vector<std::pair<size_t, size_t>> labels;  // (offset of the first octet, length), wire order
  size_t type_at = 0;
};

QueryShape ShapeOf(const Structure& s) {
  QueryShape q;
  q.wire = {kQueryId >> 8, kQueryId & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  for (size_t i = s.size(); i-- > 0;) {
    q.wire.push_back(static_cast<uint8_t>(s[i]));
    q.labels.emplace_back(q.wire.size(), s[i]);
    for (size_t k = 0; k < s[i]; ++k) {
      q.symbolic.push_back(q.wire.size());
      q.wire.push_back('a');
    }
  }
  q.wire.push_back(0);
  q.type_at = q.wire.size();
  q.symbolic.push_back(q.wire.size());
  q.symbolic.push_back(q.wire.size() + 1);
  q.wire.insert(q.wire.end(), {0, 1, 0, 1});
  return q;
}

// The question a concrete query asks.
dns::Question QuestionOf(const QueryShape& shape, const std::vector<uint8_t>& wire) {
  std::vector<std::string> labels;
  for (const auto& [at, len] : shape.labels) {
    labels.emplace_back(wire.begin() + at, wire.begin() + at + len);
  }
  dns::Question q;
  q.name = *dns::Name::FromLabels(labels);
  q.type = static_cast<uint16_t>(wire[shape.type_at] << 8 | wire[shape.type_at + 1]);
  return q;
}

std::string Hex(const std::vector<uint8_t>& b) {
  std::string s;
  for (uint8_t x : b) s += fmt::format("{:02x}", x);
  return s;
}

int64_t PeakRss() {
  rusage usage{};
  return getrusage(RUSAGE_SELF, &usage) == 0 ? usage.ru_maxrss * 1024L : 0;
}

// One label structure's results.
struct Partial {
  std::vector<Counterexample> counterexamples;  // the first max_counterexamples
  size_t counterexample_cells = 0;
  std::vector<std::string> undecided;  // the first few
  size_t undecided_count = 0;
  size_t paths = 0, cells = 0, points = 0, compare_solver_calls = 0;
  double compare_seconds = 0, seconds = 0;
};

// A verification worker: an executor (its own Z3 context and module) with the zone loaded, which
// runs label structures and compares their paths with the specification. Workers share nothing
// but read-only inputs, so several run on threads of their own.
class Worker {
 public:
  Worker(const dns::Zone& zone, const std::string& zone_text, const VerifyOptions& options,
         const KnotCode& code)
      : zone_(zone),
        zone_text_(zone_text),
        index_(zone.origin, zone.records),
        options_(options),
        code_(code) {
    for (const auto& [name, node] : index_.nodes()) {
      std::vector<std::string> from_root;
      for (const std::string& label : name.labels()) {
        zone_labels_.insert(dns::AsciiLower(label));
        from_root.insert(from_root.begin(), dns::AsciiLower(label));
      }
      zone_nodes_.push_back(std::move(from_root));
      for (const auto& [type, rrs] : node.rrsets) spec_types_.insert(type);
      has_dname_ = has_dname_ || node.Has(dns::rrtype::DNAME);
    }
    // spec.cc compares the query type with these besides the zone's types.
    for (uint16_t t : {dns::rrtype::CNAME, dns::rrtype::ANY, dns::rrtype::DS, dns::rrtype::RRSIG,
                       dns::rrtype::NSEC}) {
      spec_types_.insert(t);
    }
  }

  // Reads the bitcode and loads the zone with Knot's loader inside the executor.
  Status Load() {
    const auto start = Clock::now();
    auto module = symex::LoadModule(code_.bitcode);
    if (!module.ok()) return module.status();
    module_ = std::make_unique<symex::LoadedModule>(std::move(*module));
    symex::Options o;
    o.stubs = code_.stubs;
    o.max_block_visits = 100000;
    o.solver_timeout_ms = options_.solver_timeout_ms;
    ex_ = std::make_unique<symex::Executor>(ctx_, *module_->module, o);
    auto loaded = LoadZoneInExecutor(*ex_, zone_text_, zone_.origin.ToString());
    if (!loaded.ok()) return loaded.status();
    zone_memory_ = loaded->memory;
    base_ = ex_->stats();
    load_seconds_ = Since(start);
    return Status::Ok();
  }

  Status Run(const Structure& s, Partial* out) {
    const auto start = Clock::now();
    out_ = out;
    Status st = RunStructure(s);
    out->seconds = Since(start);
    out_ = nullptr;
    return st;
  }

  double load_seconds() const { return load_seconds_; }
  // The executor's statistics since the zone was loaded.
  symex::Stats QueryStats() const {
    symex::Stats s = ex_ ? ex_->stats() : symex::Stats();
    s.forks -= base_.forks;
    s.instructions -= base_.instructions;
    s.solver_calls -= base_.solver_calls;
    s.solver_seconds -= base_.solver_seconds;
    s.witness_hits -= base_.witness_hits;
    return s;
  }

 private:
  z3::expr QueryByte(size_t at) { return ctx_.bv_const(fmt::format("query[{}]", at).c_str(), 8); }

  // A byte with an ASCII capital lowered (RFC 4343).
  z3::expr Lower(const z3::expr& b) {
    return z3::ite(z3::uge(b, ctx_.bv_val('A', 8)) && z3::ule(b, ctx_.bv_val('Z', 8)),
                   b + ctx_.bv_val(32, 8), b);
  }

  // Query byte `b` equals the octet `c` ignoring ASCII case.
  z3::expr SameOctet(const z3::expr& b, uint8_t c) {
    const auto lower = static_cast<uint8_t>(c | 0x20);
    if (IsLetter(c)) {
      return b == ctx_.bv_val(lower, 8) || b == ctx_.bv_val(lower - 32, 8);
    }
    return b == ctx_.bv_val(c, 8);
  }

  void Undecided(std::string why) {
    if (out_->undecided.size() < 10) out_->undecided.push_back(std::move(why));
    ++out_->undecided_count;
  }

  // An atom of the specification's partition, and the query inputs (indices) it fixes when true.
  struct Atom {
    z3::expr holds;
    std::vector<size_t> pins;
  };

  Status RunStructure(const Structure& s) {
    const QueryShape shape = ShapeOf(s);
    auto run = ex_->Run(
        kKnotAnswer,
        {symex::Arg::MixedBuffer("query", shape.wire, shape.symbolic),
         symex::Arg::Concrete(shape.wire.size(), 64),
         symex::Arg::ConcreteBuffer("out", std::vector<uint8_t>(kKnotAnswerBuffer, 0), true)},
        zone_memory_.get());
    if (!run.ok()) return run.status();
    std::vector<z3::expr> inputs;
    for (size_t at : shape.symbolic) inputs.push_back(QueryByte(at));
    // The atoms the specification's answer depends on (spec.cc): each label equal, ignoring
    // ASCII case, to a zone label of its length; the query type equal to a type it compares.
    std::vector<Atom> atoms;
    // The label of `shape` at index `i` (wire order) equal to `z`, ignoring case.
    auto same_label = [&](size_t i, const std::string& z, Atom* a) {
      const auto& [at, len] = shape.labels[i];
      size_t input = 0;  // the label's first byte among the inputs
      for (size_t j = 0; j < i; ++j) input += shape.labels[j].second;
      for (size_t k = 0; k < len; ++k) {
        const auto c = static_cast<uint8_t>(z[k]);
        a->holds = a->holds && SameOctet(QueryByte(at + k), c);
        a->pins.push_back(input + k);  // fixed but for its case, which the comparison ignores
      }
    };
    const size_t depth = shape.labels.size();
    if (!has_dname_) {
      // Without DNAME the specification looks the query name up only as itself and its
      // ancestors: an atom per zone node, "the name is this node or below it".
      for (const std::vector<std::string>& node : zone_nodes_) {
        if (node.size() > depth) continue;
        Atom a{ctx_.bool_val(true), {}};
        bool fits = true;
        for (size_t d = 0; d < node.size() && fits; ++d) {
          const size_t i = depth - 1 - d;  // wire index of the label at depth d + 1
          fits = shape.labels[i].second == node[d].size();
          if (fits) same_label(i, node[d], &a);
        }
        if (fits && !node.empty()) atoms.push_back(std::move(a));
      }
    } else {
      // A DNAME substitutes the query's labels under another name: each label equal to each
      // zone label of its length.
      for (size_t i = 0; i < depth; ++i) {
        for (const std::string& z : zone_labels_) {
          if (z.size() != shape.labels[i].second) continue;
          Atom a{ctx_.bool_val(true), {}};
          same_label(i, z, &a);
          atoms.push_back(std::move(a));
        }
      }
    }
    const z3::expr qtype = z3::concat(QueryByte(shape.type_at), QueryByte(shape.type_at + 1));
    for (uint16_t t : spec_types_) {
      atoms.push_back({qtype == ctx_.bv_val(t, 16), {inputs.size() - 2, inputs.size() - 1}});
    }
    z3::expr allowed = ctx_.bool_val(true);
    for (const ExcludedType& e : ExcludedTypes()) {
      allowed = allowed && qtype != ctx_.bv_val(e.type, 16);
    }

    const auto compare_start = Clock::now();
    for (const symex::PathResult& p : run->paths) {
      ++out_->paths;
      ComparePath(shape, p, run->objects[2], inputs, atoms, allowed);
    }
    out_->compare_seconds += Since(compare_start);
    return Status::Ok();
  }

  // A solver holding one path's condition, asked about small additions to it (incrementally:
  // the condition is internalised once per path, not once per question).
  class PathSolver {
   public:
    PathSolver(z3::context& ctx, const z3::expr& condition, unsigned timeout_ms, size_t* calls)
        : solver_(ctx), calls_(calls) {
      z3::params p(ctx);
      p.set("timeout", timeout_ms);
      solver_.set(p);
      solver_.add(condition);
    }
    // A model of the condition and `extra`; nullopt when unsatisfiable; unknown (a timeout)
    // sets `gave_up`.
    std::optional<z3::model> Sat(const z3::expr& extra) {
      ++*calls_;
      solver_.push();
      solver_.add(extra);
      const z3::check_result r = solver_.check();
      std::optional<z3::model> m;
      if (r == z3::sat) m = solver_.get_model();
      if (r == z3::unknown) gave_up = true;
      solver_.pop();
      return m;
    }
    // Adds `c` for every later question.
    void Add(const z3::expr& c) { solver_.add(c); }
    bool gave_up = false;

   private:
    z3::solver solver_;
    size_t* calls_;
  };

  std::vector<uint8_t> PointOf(const QueryShape& shape, const z3::model& m,
                               const std::vector<z3::expr>& inputs) {
    std::vector<uint8_t> q = shape.wire;
    for (size_t k = 0; k < inputs.size(); ++k) {
      uint64_t b = 0;
      m.eval(inputs[k], true).is_numeral_u64(b);
      q[shape.symbolic[k]] = static_cast<uint8_t>(b);
    }
    return q;
  }

  void ComparePath(const QueryShape& shape, const symex::PathResult& p, uint32_t out,
                   const std::vector<z3::expr>& inputs, const std::vector<Atom>& atoms,
                   const z3::expr& allowed) {
    PathSolver path(ctx_, p.condition && allowed, options_.solver_timeout_ms,
                    &out_->compare_solver_calls);
    const z3::expr yes = ctx_.bool_val(true);
    const auto first = path.Sat(yes);
    if (path.gave_up) {
      Undecided("the solver gave up on a path's condition (timeout)");
      return;
    }
    if (!first) return;  // only excluded types take this path
    const std::string where = Hex(PointOf(shape, *first, inputs));
    if (p.end == symex::PathEnd::kUndecided) {
      Undecided(fmt::format("{}: {}", where, p.message));
      return;
    }
    if (p.end == symex::PathEnd::kError) {
      Counterexample c;
      c.query = PointOf(shape, *first, inputs);
      c.question = QuestionOf(shape, c.query);
      c.fields = {"error"};
      c.engine_text = "the engine's code fails: " + p.message;
      Record(std::move(c));
      return;
    }
    // The answer's length, one value on the path.
    uint64_t len = 0;
    if (!p.value) {
      Undecided(where + ": the harness returned no value");
      return;
    }
    if (!first->eval(*p.value, true).is_numeral_u64(len) ||
        path.Sat(*p.value != first->eval(*p.value, true)) || path.gave_up) {
      Undecided(where + ": the answer's length varies on one path");
      return;
    }
    if (static_cast<int32_t>(len) <= 0 || len > kKnotAnswerBuffer) len = 0;  // nothing sent
    // The template: each byte constant on the path, or a copy of one query byte.
    std::vector<z3::expr> bytes;
    std::vector<size_t> open;
    for (uint64_t k = 0; k < len; ++k) {
      bytes.push_back(p.memory->Load(out, ctx_.bv_val(k, 32), 1).simplify());
      const z3::expr& b = bytes.back();
      if (b.is_numeral()) continue;
      if (b.is_const() && b.decl().name().str().rfind("query[", 0) == 0) continue;
      open.push_back(k);
    }
    if (!open.empty()) {
      z3::expr differs = ctx_.bool_val(false);
      for (size_t k : open) differs = differs || bytes[k] != first->eval(bytes[k], true);
      const bool varies = path.Sat(differs).has_value();
      for (size_t k : open) {
        const z3::expr v = first->eval(bytes[k], true);
        if (!varies || !path.Sat(bytes[k] != v)) {
          bytes[k] = v;
          continue;
        }
        bool copy = false;
        for (const z3::expr& q : inputs) {
          if (z3::eq(first->eval(q, true), v) && !path.Sat(bytes[k] != q)) {
            bytes[k] = q;
            copy = true;
            break;
          }
        }
        if (!copy || path.gave_up) {
          Undecided(fmt::format(
              "{}: answer octet {} is neither constant on its path nor a copy of one query octet",
              where, k));
          return;
        }
      }
    }
    if (path.gave_up) {  // a timeout while proving the template: no byte may be taken as proved
      Undecided(where + ": the solver gave up on the answer's template (timeout)");
      return;
    }
    // Cells: the atoms' values, each assignment the path allows.
    size_t cells = 0;
    while (auto m = path.Sat(yes)) {
      if (++cells > kMaxCellsPerPath) {
        Undecided(fmt::format("{}: more than {} cells on one path", where, kMaxCellsPerPath));
        return;
      }
      ++out_->cells;
      z3::expr cell = ctx_.bool_val(true);
      std::vector<bool> pinned(inputs.size(), false);
      for (const Atom& a : atoms) {
        if (m->eval(a.holds, true).is_true()) {
          cell = cell && a.holds;
          for (size_t i : a.pins) pinned[i] = true;
        } else {
          cell = cell && !a.holds;
        }
      }
      CompareCell(shape, path, cell, *m, pinned, bytes, inputs);
      path.Add(!cell);
    }
    if (path.gave_up) Undecided(where + ": the solver gave up on a cell (timeout)");
  }

  // The cell compared at `p1` and at a second point whose free bytes (those the cell does not
  // pin) all differ from p1's; a counterexample reported at a point with letters where the cell
  // allows one (readable).
  void CompareCell(const QueryShape& shape, PathSolver& path, const z3::expr& cell,
                   const z3::model& p1, const std::vector<bool>& pinned,
                   const std::vector<z3::expr>& bytes, const std::vector<z3::expr>& inputs) {
    // Free bytes different from p1's ignoring case (the comparison ignores the case of names), and
    // from each other: a constant on one side where the other copies a query byte, or copies of
    // two different query bytes, then show at p2.
    z3::expr differ = cell;
    std::vector<z3::expr> lowered;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (pinned[i]) continue;
      differ = differ && Lower(inputs[i]) != Lower(p1.eval(inputs[i], true));
      lowered.push_back(Lower(inputs[i]));
    }
    std::optional<z3::model> p2;
    if (lowered.size() > 1) {
      z3::expr_vector v(ctx_);
      for (const z3::expr& e : lowered) v.push_back(e);
      p2 = path.Sat(differ && z3::distinct(v));
    }
    if (!p2) p2 = path.Sat(differ);
    if (!p2) {  // some free byte has one value in the cell: differ where it can
      z3::expr some = cell;
      for (size_t i = 0; i < inputs.size(); ++i) {
        const z3::expr d = Lower(inputs[i]) != Lower(p1.eval(inputs[i], true));
        if (!pinned[i] && path.Sat(some && d)) some = some && d;
      }
      p2 = path.Sat(some);
    }
    for (const z3::model* m : {&p1, p2 ? static_cast<const z3::model*>(&*p2) : nullptr}) {
      if (!m) continue;
      ++out_->points;
      auto c = ComparePoint(shape, *m, bytes, inputs);
      if (!c) continue;
      if (out_->counterexamples.size() < options_.max_counterexamples) {
        z3::expr letters = cell;
        for (size_t k = 0; k + 2 < inputs.size(); ++k) {  // the last two are the type
          if (!pinned[k]) {
            letters = letters && z3::uge(inputs[k], ctx_.bv_val('a', 8)) &&
                      z3::ule(inputs[k], ctx_.bv_val('z', 8));
          }
        }
        // ... or p1 with its capitals in lower case.
        z3::expr lower = cell;
        for (size_t k = 0; k + 2 < inputs.size(); ++k) {
          uint64_t b = 0;
          m->eval(inputs[k], true).is_numeral_u64(b);
          if (IsLetter(static_cast<uint8_t>(b))) b |= 0x20;
          lower = lower && inputs[k] == ctx_.bv_val(b, 8);
        }
        for (const z3::expr& e : {letters, lower}) {
          auto readable = path.Sat(e);
          if (!readable) continue;
          if (auto rc = ComparePoint(shape, *readable, bytes, inputs)) c = std::move(rc);
          break;
        }
      }
      Record(std::move(*c));
      return;  // one counterexample per cell
    }
  }

  // The counterexample the point is, if any.
  std::optional<Counterexample> ComparePoint(const QueryShape& shape, const z3::model& m,
                                             const std::vector<z3::expr>& bytes,
                                             const std::vector<z3::expr>& inputs) {
    Counterexample c;
    c.query = PointOf(shape, m, inputs);
    c.question = QuestionOf(shape, c.query);
    for (const z3::expr& b : bytes) {
      uint64_t v = 0;
      m.eval(b, true).is_numeral_u64(v);
      c.derived.push_back(static_cast<uint8_t>(v));
    }
    const Response expected = Lookup(index_, c.question, options_.profile, /*explain=*/false);
    if (c.derived.empty()) {
      c.fields = {"error"};
      c.engine_text = "no answer: the engine's code sends nothing for this query";
      return c;
    }
    auto msg = dns::DecodeMessage(c.derived);
    if (!msg.ok()) {
      c.fields = {"error"};
      c.engine_text = "a malformed answer: " + msg.message();
      return c;
    }
    if (msg->tc) {
      Undecided(
          fmt::format("{}: the answer is truncated (over {} octets); the harness answers "
                      "over UDP without EDNS only",
                      Hex(c.query), kKnotAnswerBuffer));
      return std::nullopt;
    }
    c.fields = Differences(expected, *msg, options_.profile.any);
    if (c.fields.empty()) return std::nullopt;
    c.engine_text = MessageToText(c.question, *msg);
    return c;
  }

  void Record(Counterexample c) {
    ++out_->counterexample_cells;
    if (out_->counterexamples.size() >= options_.max_counterexamples) return;
    const Response expected = Lookup(index_, c.question, options_.profile, /*explain=*/true);
    c.spec_text = ResponseToText(c.question, expected);
    c.rules = expected.rules;
    out_->counterexamples.push_back(std::move(c));
  }

  const dns::Zone& zone_;
  const std::string& zone_text_;
  ZoneIndex index_;
  const VerifyOptions& options_;
  const KnotCode& code_;
  z3::context ctx_;
  std::unique_ptr<symex::LoadedModule> module_;
  std::unique_ptr<symex::Executor> ex_;
  std::shared_ptr<const symex::Memory> zone_memory_;
  symex::Stats base_;
  double load_seconds_ = 0;
  std::set<std::string> zone_labels_;
  std::vector<std::vector<std::string>> zone_nodes_;  // each node's labels from the root
  bool has_dname_ = false;
  std::set<uint16_t> spec_types_;
  Partial* out_ = nullptr;  // the structure being run
};

void Enumerate(const std::vector<std::vector<size_t>>& lengths, Structure prefix,
               std::vector<Structure>* out) {
  size_t wire = 1;
  for (size_t l : prefix) wire += l + 1;
  if (wire > dns::kMaxNameLength) return;
  out->push_back(prefix);
  if (prefix.size() == lengths.size()) return;
  for (size_t l : lengths[prefix.size()]) {
    Structure next = prefix;
    next.push_back(l);
    Enumerate(lengths, next, out);
  }
}

std::string Scope(const dns::Zone& zone_, const VerifyOptions& options_,
                  const std::vector<std::vector<size_t>>& lengths,
                  const std::vector<Structure>& structures) {
  std::string per_depth;
  for (size_t d = 0; d < lengths.size(); ++d) {
    if (d) per_depth += ", ";
    per_depth += fmt::format("depth {}: {{", d + 1);
    for (size_t i = 0; i < lengths[d].size(); ++i) {
      per_depth += fmt::format("{}{}", i ? "," : "", lengths[d][i]);
    }
    per_depth += "}";
  }
  double names = 0;
  for (const Structure& s : structures) {
    double bits = 0;
    for (size_t l : s) bits += 8.0 * static_cast<double>(l);
    names += std::pow(2.0, bits);
  }
  std::string excluded;
  for (const ExcludedType& e : ExcludedTypes()) {
    excluded += fmt::format("{}{} ({})", excluded.empty() ? "" : ", ", e.name, e.type);
  }
  return fmt::format(
      "zone {} ({} records) as {} loads it; every query of one question, class IN, opcode "
      "QUERY, RD clear, no EDNS, ID 0x{:04x}, whose name has at most {} labels with lengths "
      "(octets, from the root) {} and any of the 256 values in every octet ({} label "
      "structures, about 2^{:.0f} names), and whose type is any of the 65,536 values but {} "
      "(ExcludedTypes: not data lookups); answers over UDP in 512 octets (a truncated one is "
      "undecided), compared as rcode, AA and the answer, authority and additional sections as "
      "sets of records (names without case), under the {} profile with the profile flags "
      "given. Label lengths not listed are not covered",
      zone_.origin.ToString(), zone_.records.size(), options_.engine, kQueryId, options_.max_labels,
      per_depth, structures.size(), std::log2(std::max(names, 1.0)), excluded, options_.engine);
}

// Each counterexample's query sent to the native build of the same tree and, for Debian's
// tree, to the live engine.
void Confirm(VerifyReport& report_, const KnotCode& code_, const dns::Zone& zone_,
             const ZoneIndex& index_, const VerifyOptions& options_) {
  auto& cs = report_.counterexamples;
  if (cs.empty()) return;
  std::vector<std::vector<uint8_t>> queries;
  for (const Counterexample& c : cs) queries.push_back(c.query);
  auto native = NativeAnswers(code_, options_.zone_file, zone_.origin.ToString(), queries);
  for (size_t i = 0; i < cs.size(); ++i) {
    if (!native.ok()) {
      cs[i].native_text = native.message();
      continue;
    }
    const auto& got = (*native)[i];
    cs[i].native_confirms = got == cs[i].derived;
    auto msg = dns::DecodeMessage(got);
    cs[i].native_text = got.empty() ? "no answer"
                        : msg.ok()  ? MessageToText(cs[i].question, *msg)
                                    : "undecodable: " + Hex(got);
  }
  if (!options_.live || !code_.source.empty()) return;
  const std::string dir = (std::filesystem::temp_directory_path() /
                           fmt::format("iceberg-verify-{}-{}", options_.engine, getpid()))
                              .string();
  auto engine = EngineProcess::Start(options_.engine, zone_, dir);
  if (!engine.ok()) {
    for (auto& c : cs) c.live = "the live engine did not start: " + engine.message();
    return;
  }
  for (auto& c : cs) {
    auto got = QueryServer("127.0.0.1", (*engine)->port(), c.question);
    if (!got.ok()) {
      c.live = fmt::format("{}: {}", (*engine)->version(), got.message());
      c.live_confirms = c.derived.empty();  // it sends nothing either
      continue;
    }
    const Response expected = Lookup(index_, c.question, options_.profile, false);
    const auto fields = Differences(expected, *got, options_.profile.any);
    c.live_confirms = !fields.empty();
    c.live = fmt::format(
        "{} {}: {}", (*engine)->version(),
        c.live_confirms ? "confirms (differs from the specification in " + FieldsText(fields) + ")"
                        : "does not confirm (answers as the specification)",
        MessageToText(c.question, *got));
  }
  engine->reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace

const std::vector<ExcludedType>& ExcludedTypes() {
  static const std::vector<ExcludedType> types{
      {0, "TYPE0",
       "reserved (RFC 6895 §3.1): no data can have it; Knot answers NOTIMP, the specification "
       "has no answer for it"},
      {41, "OPT", "OPT is EDNS's pseudo-record (RFC 6891 §6.1.1), never a question"},
      {249, "TKEY", "TKEY establishes keys (RFC 2930), not a data lookup"},
      {250, "TSIG", "TSIG signs messages (RFC 8945), not a data lookup"},
      {251, "IXFR", "IXFR is a zone transfer (RFC 1995), not a lookup"},
      {252, "AXFR", "AXFR is a zone transfer (RFC 5936), not a lookup"},
      {253, "MAILB", "MAILB is obsolete (RFC 883), its meaning undefined today"},
      {254, "MAILA", "MAILA is obsolete (RFC 973), its meaning undefined today"},
  };
  return types;
}

std::vector<std::vector<size_t>> LabelLengths(const dns::Zone& zone, int max_labels) {
  std::vector<std::set<size_t>> at(static_cast<size_t>(std::max(max_labels, 0)));
  const ZoneIndex index(zone.origin, zone.records);
  for (const auto& [name, node] : index.nodes()) {
    const auto& labels = name.labels();
    for (size_t d = 0; d < labels.size() && d < at.size(); ++d) {
      at[d].insert(labels[labels.size() - 1 - d].size());
    }
  }
  std::vector<std::vector<size_t>> out;
  for (auto& lengths : at) {
    size_t fresh = 1;
    while (lengths.count(fresh)) ++fresh;
    if (fresh <= dns::kMaxLabelLength) lengths.insert(fresh);
    out.emplace_back(lengths.begin(), lengths.end());
  }
  return out;
}

Result<VerifyReport> Verify(const dns::Zone& zone, const VerifyOptions& options) {
  if (options.engine != "knot") {
    return Status::Error(fmt::format(
        "verify: engine {} is not supported yet; only knot (Knot DNS 3.2) is", options.engine));
  }
  if (options.max_labels < 0 || options.max_labels > 127) {
    return Status::Error("verify: --max-labels must be between 0 and 127");
  }
  const auto start = Clock::now();
  auto code = BuildKnotCode(options.source);
  if (!code.ok()) return code.status();
  std::ifstream in(options.zone_file);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return Status::Error("cannot read the zone file " + options.zone_file);
  const std::string zone_text = text.str();

  VerifyReport report;
  report.engine = options.engine;
  report.source = options.source.empty() ? "Debian's source package" : options.source;
  report.zone = options.zone_file;
  report.stub_rules = code->stub_rules;
  report.stubs_file = code->stubs_file;
  const auto lengths = LabelLengths(zone, options.max_labels);
  std::vector<Structure> structures;
  Enumerate(lengths, {}, &structures);
  report.scope = Scope(zone, options, lengths, structures);

  // Workers on threads of their own take the structures in turn; the results are merged in
  // structure order, so the report does not depend on the number of workers.
  const size_t jobs = std::clamp<size_t>(options.jobs, 1, std::max<size_t>(structures.size(), 1));
  std::vector<Partial> partials(structures.size());
  std::vector<std::unique_ptr<Worker>> workers;
  for (size_t j = 0; j < jobs; ++j) {
    workers.push_back(std::make_unique<Worker>(zone, zone_text, options, *code));
  }
  std::atomic<size_t> next{0}, done{0};
  std::mutex mu;
  Status failed = Status::Ok();
  auto work = [&](Worker& w) {
    Status st = Status::Ok();
    try {
      st = w.Load();
    } catch (const std::exception& e) {  // z3::exception, bad_alloc: an error, not a crash
      st = Status::Error(std::string("verify: ") + e.what());
    }
    while (st.ok()) {
      const size_t i = next++;
      if (i >= structures.size()) break;
      try {
        st = w.Run(structures[i], &partials[i]);
      } catch (const std::exception& e) {
        st = Status::Error(
            fmt::format("verify: structure {}: {}", StructureText(structures[i]), e.what()));
      }
      if (st.ok() && options.progress) {
        const Partial& p = partials[i];
        std::lock_guard<std::mutex> lock(mu);
        options.progress(fmt::format(
            "structure {}/{} ({} done) {}: {} paths, {} cells, {} counterexample cells, {} "
            "undecided, {:.1f} s ({:.1f} s comparing)",
            i + 1, structures.size(), ++done, StructureText(structures[i]), p.paths, p.cells,
            p.counterexample_cells, p.undecided_count, p.seconds, p.compare_seconds));
      }
    }
    if (!st.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      if (failed.ok()) failed = st;
      next = structures.size();  // the others stop too
    }
  };
  std::vector<std::thread> threads;
  for (size_t j = 1; j < jobs; ++j) threads.emplace_back(work, std::ref(*workers[j]));
  work(*workers[0]);
  for (std::thread& t : threads) t.join();
  if (!failed.ok()) return failed;

  VerifyStats& v = report.stats;
  v.structures = structures.size();
  for (Partial& p : partials) {
    v.paths += p.paths;
    v.cells += p.cells;
    v.points += p.points;
    v.compare_solver_calls += p.compare_solver_calls;
    v.compare_seconds += p.compare_seconds;
    report.counterexample_cells += p.counterexample_cells;
    report.undecided_count += p.undecided_count;
    for (Counterexample& c : p.counterexamples) {
      if (report.counterexamples.size() < options.max_counterexamples) {
        report.counterexamples.push_back(std::move(c));
      }
    }
    for (std::string& u : p.undecided) {
      if (report.undecided.size() < 10) report.undecided.push_back(std::move(u));
    }
  }
  for (const auto& w : workers) {
    const symex::Stats s = w->QueryStats();
    v.forks += s.forks;
    v.instructions += s.instructions;
    v.solver_calls += s.solver_calls;
    v.solver_seconds += s.solver_seconds;
    v.witness_hits += s.witness_hits;
    v.summaries_built += s.summaries_built;
    v.summaries_applied += s.summaries_applied;
    v.summaries_reused += s.summaries_reused;
    v.specialisations += s.specialisations;
    v.inlined_calls += s.inlined_calls;
    v.load_seconds = std::max(v.load_seconds, w->load_seconds());
  }
  v.jobs = jobs;
  workers.clear();
  const ZoneIndex index(zone.origin, zone.records);
  Confirm(report, *code, zone, index, options);
  report.verdict = !report.counterexamples.empty() ? VerifyReport::Verdict::kCounterexamples
                   : report.undecided_count > 0    ? VerifyReport::Verdict::kUndecided
                                                   : VerifyReport::Verdict::kProven;
  v.seconds = Since(start);
  v.peak_rss_bytes = PeakRss();
  return report;
}

std::string VerifyReportToText(const VerifyReport& r) {
  std::string out;
  const char* verdict = r.verdict == VerifyReport::Verdict::kProven            ? "PROVEN"
                        : r.verdict == VerifyReport::Verdict::kCounterexamples ? "COUNTEREXAMPLES"
                                                                               : "UNDECIDED";
  out += fmt::format("verify {} ({}) on {}: {}\n", r.engine, r.source, r.zone, verdict);
  out += "scope: " + r.scope + "\n";
  for (size_t i = 0; i < r.counterexamples.size(); ++i) {
    const Counterexample& c = r.counterexamples[i];
    out += fmt::format("\n-- counterexample {}: {} {} (query {})\n", i + 1,
                       c.question.name.ToString(), dns::TypeName(c.question.type), Hex(c.query));
    out += fmt::format("differs in: {}\n", FieldsText(c.fields));
    out += "engine (derived from its code):\n" + c.engine_text + "\n";
    out += "specification:\n" + c.spec_text + "\n";
    for (const std::string& rule : RuleTexts(c.rules)) out += "  rule: " + rule + "\n";
    out += fmt::format("native build of the same tree: {}\n",
                       c.native_confirms ? "gives the same answer" : "DIFFERS:\n" + c.native_text);
    if (!c.live.empty()) out += "live engine: " + c.live + "\n";
  }
  if (r.counterexample_cells > r.counterexamples.size()) {
    out += fmt::format("\n... {} cells with a difference in all, the first {} shown\n",
                       r.counterexample_cells, r.counterexamples.size());
  }
  for (const std::string& u : r.undecided) out += "undecided: " + u + "\n";
  if (r.undecided_count > r.undecided.size()) {
    out += fmt::format("... {} undecided in all\n", r.undecided_count);
  }
  const VerifyStats& s = r.stats;
  out += fmt::format(
      "\nstatistics: {} label structures on {} workers, {} paths, {} cells, {} queries compared; "
      "{} forks, {} "
      "instructions; solver: {} calls ({:.1f} s) in the executor, {} in the comparison ({:.1f} s "
      "comparing in all), {} "
      "decided by an earlier model; summaries: {} built, {} applied, {} reused, {} "
      "specialisations, {} calls inline; zone load {:.1f} s; {:.1f} s in all; peak memory {} MB; "
      "stub rules: {} ({})\n",
      s.structures, s.jobs, s.paths, s.cells, s.points, s.forks, s.instructions, s.solver_calls,
      s.solver_seconds, s.compare_solver_calls, s.compare_seconds, s.witness_hits,
      s.summaries_built, s.summaries_applied, s.summaries_reused, s.specialisations,
      s.inlined_calls, s.load_seconds, s.seconds, s.peak_rss_bytes >> 20, r.stub_rules,
      r.stubs_file);
  return out;
}

std::string VerifyReportToJson(const VerifyReport& r) {
  using nlohmann::json;
  json cs = json::array();
  for (const Counterexample& c : r.counterexamples) {
    json rules = json::array();
    for (const SpecRule& rule : c.rules)
      rules.push_back({{"clause", rule.clause}, {"text", rule.text}});
    cs.push_back({{"name", c.question.name.ToString()},
                  {"type", dns::TypeName(c.question.type)},
                  {"query_hex", Hex(c.query)},
                  {"fields", c.fields},
                  {"engine", c.engine_text},
                  {"engine_hex", Hex(c.derived)},
                  {"specification", c.spec_text},
                  {"rules", rules},
                  {"native_confirms", c.native_confirms},
                  {"live", c.live},
                  {"live_confirms", c.live_confirms}});
  }
  const VerifyStats& s = r.stats;
  const char* verdict = r.verdict == VerifyReport::Verdict::kProven            ? "proven"
                        : r.verdict == VerifyReport::Verdict::kCounterexamples ? "counterexamples"
                                                                               : "undecided";
  json j = {{"engine", r.engine},
            {"source", r.source},
            {"zone", r.zone},
            {"verdict", verdict},
            {"scope", r.scope},
            {"counterexamples", cs},
            {"counterexample_cells", r.counterexample_cells},
            {"undecided", r.undecided},
            {"undecided_count", r.undecided_count},
            {"stub_rules", r.stub_rules},
            {"stats",
             {{"label_structures", s.structures},
              {"workers", s.jobs},
              {"paths", s.paths},
              {"cells", s.cells},
              {"queries_compared", s.points},
              {"forks", s.forks},
              {"instructions", s.instructions},
              {"solver_calls", s.solver_calls},
              {"solver_seconds", s.solver_seconds},
              {"compare_solver_calls", s.compare_solver_calls},
              {"compare_seconds", s.compare_seconds},
              {"witness_hits", s.witness_hits},
              {"summaries_built", s.summaries_built},
              {"summaries_applied", s.summaries_applied},
              {"summaries_reused", s.summaries_reused},
              {"specialisations", s.specialisations},
              {"inlined_calls", s.inlined_calls},
              {"load_seconds", s.load_seconds},
              {"seconds", s.seconds},
              {"peak_rss_bytes", s.peak_rss_bytes}}}};
  return j.dump(2);
}

}  // namespace llms::iceberg
