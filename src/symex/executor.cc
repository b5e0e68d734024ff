// The symbolic executor: states, instruction semantics, forking, pointer resolution, and function
// summaries built on demand, specialised on concrete arguments and reused (see executor.h).
#include "symex/executor.h"

#include <fmt/format.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DataLayout.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/GetElementPtrTypeIterator.h>
#include <llvm/IR/InstrTypes.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Operator.h>
#include <llvm/Support/raw_ostream.h>

#include <sys/resource.h>

#include <chrono>
#include <unordered_map>
#include <unordered_set>

namespace llms::symex {

const char* PathEndName(PathEnd end) {
  switch (end) {
    case PathEnd::kReturned:
      return "returned";
    case PathEnd::kError:
      return "error";
    case PathEnd::kUndecided:
      return "undecided";
  }
  return "?";
}

Arg Arg::Symbolic(std::string name, unsigned bits) {
  Arg a;
  a.name = std::move(name);
  a.bits = bits;
  return a;
}
Arg Arg::Concrete(uint64_t value, unsigned bits) {
  Arg a;
  a.name = fmt::format("{}", value);
  a.bits = bits;
  a.value = value;
  return a;
}
Arg Arg::SymbolicBuffer(std::string name, size_t size, bool writable) {
  Arg a;
  a.kind = Kind::kBuffer;
  a.name = std::move(name);
  a.size = size;
  a.writable = writable;
  return a;
}
Arg Arg::ConcreteBuffer(std::string name, std::vector<uint8_t> bytes, bool writable) {
  Arg a;
  a.kind = Kind::kBuffer;
  a.name = std::move(name);
  a.size = bytes.size();
  a.bytes = std::move(bytes);
  a.writable = writable;
  return a;
}

namespace {

// Ends the current path (thrown inside a step, caught by the run loop).
struct PathStop {
  PathEnd end;
  std::string message;
};
// A summary cannot be built for the function being summarised (it writes through a parameter,
// reads mutable globals, ...): caught where the summary is built; the call is then inlined.
struct NotSummarisable {
  std::string why;
};
// The current state was replaced by the states pushed onto the work list.
struct Replaced {};

struct Frame {
  const llvm::Function* fn = nullptr;
  std::unordered_map<const llvm::Value*, z3::expr> values;
  const llvm::BasicBlock* block = nullptr;
  llvm::BasicBlock::const_iterator ip;
  std::unordered_map<const llvm::BasicBlock*, int> visits;
  const llvm::CallBase* call = nullptr;  // the call in the caller this frame returns to
};

// A read of a summarised function's pointer parameter: it must stay inside what the caller
// passes (checked when the summary is applied).
struct ParamRead {
  size_t param;
  z3::expr end;  // offset + size, 32 bits
};

struct State {
  std::vector<Frame> stack;
  Memory memory;
  std::vector<z3::expr> pc;
  bool summary = false;                      // building a summary
  std::map<uint32_t, size_t> param_objects;  // summary: array object -> parameter index
  std::vector<ParamRead> reads;              // summary: reads of parameter arrays
};

struct SummaryCase {
  PathEnd end = PathEnd::kReturned;
  z3::expr condition;
  std::optional<z3::expr> value;
  std::string message;
  std::vector<ParamRead> reads;
};

struct Summary {
  bool usable = false;
  std::string why_not;
  std::vector<z3::expr> params;  // per parameter: its constant (scalar) or array constant
  std::vector<bool> pointer;
  std::vector<SummaryCase> cases;
};

std::string Where(const llvm::Instruction& inst) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << inst;
  const size_t first = text.find_first_not_of(' ');
  return fmt::format("{}: {}", inst.getFunction()->getName().str(),
                     text.substr(first == std::string::npos ? 0 : first));
}

}  // namespace

class Executor::Impl {
 public:
  Impl(z3::context& ctx, const llvm::Module& module, Options options, Stats& stats)
      : ctx_(ctx), module_(module), dl_(&module), options_(options), stats_(stats), solver_(ctx) {
    z3::params p(ctx_);
    p.set("timeout", options_.solver_timeout_ms);
    solver_.set(p);
  }

  // A value's width in registers: integers their own, pointers 64, aggregates (structs, arrays)
  // their bytes in memory as one flat value; 0 for what is not modelled (floating point, vectors).
  unsigned BitsOf(llvm::Type* t) const {
    if (t->isIntegerTy()) return t->getIntegerBitWidth();
    if (t->isPointerTy()) return 64;
    if (t->isStructTy() || t->isArrayTy())
      return static_cast<unsigned>(dl_.getTypeAllocSize(t) * 8);
    return 0;
  }
  // The bytes a value of `t` takes in memory (and in an aggregate's flat value).
  unsigned BytesOf(llvm::Type* t) const {
    if (t->isStructTy() || t->isArrayTy()) return static_cast<unsigned>(dl_.getTypeAllocSize(t));
    return static_cast<unsigned>(dl_.getTypeStoreSize(t));
  }
  // A register value widened to its bytes in memory (an i1 to 8 bits).
  z3::expr ToMemory(const z3::expr& v, llvm::Type* t) const {
    const unsigned bits = v.get_sort().bv_size(), bytes = BytesOf(t) * 8;
    return bits < bytes ? z3::zext(v, bytes - bits) : v;
  }
  z3::expr FromMemory(const z3::expr& v, llvm::Type* t) const {
    const unsigned bits = BitsOf(t);
    return bits < v.get_sort().bv_size() ? v.extract(bits - 1, 0) : v;
  }
  // The byte offset and type of the member an extractvalue/insertvalue index list names.
  std::pair<uint64_t, llvm::Type*> Member(llvm::Type* t, llvm::ArrayRef<unsigned> indices) const {
    uint64_t offset = 0;
    for (unsigned i : indices) {
      if (auto* st = llvm::dyn_cast<llvm::StructType>(t)) {
        offset += dl_.getStructLayout(st)->getElementOffset(i);
        t = st->getElementType(i);
      } else {
        t = t->getArrayElementType();
        offset += i * dl_.getTypeAllocSize(t);
      }
    }
    return {offset, t};
  }
  // `whole` with `bytes` bytes at `offset` replaced by `part`.
  static z3::expr Replace(const z3::expr& whole, uint64_t offset, const z3::expr& part) {
    const unsigned total = whole.get_sort().bv_size(), lo = static_cast<unsigned>(offset * 8),
                   hi = lo + part.get_sort().bv_size();
    z3::expr out = part;
    if (lo > 0) out = z3::concat(out, whole.extract(lo - 1, 0));
    if (hi < total) out = z3::concat(whole.extract(total - 1, hi), out);
    return out;
  }

  Result<RunResult> Run(const std::string& name, const std::vector<Arg>& args) {
    const llvm::Function* fn = module_.getFunction(name);
    if (!fn || fn->isDeclaration()) {
      return Status::Error(fmt::format("no function '{}' with a body in the module", name));
    }
    if (fn->arg_size() != args.size()) {
      return Status::Error(
          fmt::format("'{}' takes {} arguments, {} given", name, fn->arg_size(), args.size()));
    }
    if (Status s = InitGlobals(); !s.ok()) return s;
    RunResult out;
    State s{{}, *base_memory_, {}, false, {}, {}};
    Frame f;
    f.fn = fn;
    size_t i = 0;
    for (const llvm::Argument& formal : fn->args()) {
      const Arg& a = args[i++];
      const unsigned bits = BitsOf(formal.getType());
      if (a.kind == Arg::Kind::kScalar) {
        if (!formal.getType()->isIntegerTy()) {
          return Status::Error(fmt::format("argument {} of '{}' is not an integer", i, name));
        }
        z3::expr v = a.value ? ctx_.bv_val(*a.value, bits) : ctx_.bv_const(a.name.c_str(), bits);
        out.args.push_back(v);
        out.objects.push_back(kNullObject);
        f.values.emplace(&formal, v);
      } else {
        if (!formal.getType()->isPointerTy()) {
          return Status::Error(fmt::format("argument {} of '{}' is not a pointer", i, name));
        }
        const uint32_t obj = a.bytes ? s.memory.AllocateConcrete(a.name, *a.bytes, a.writable)
                                     : s.memory.AllocateSymbolic(a.name, a.size, a.writable);
        z3::expr p = s.memory.Pointer(obj, 0);
        out.args.push_back(p);
        out.objects.push_back(obj);
        f.values.emplace(&formal, p);
      }
    }
    Enter(f, &fn->getEntryBlock(), nullptr);
    s.stack.push_back(std::move(f));
    out.paths = RunPaths(std::move(s));
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) == 0) stats_.peak_rss_bytes = usage.ru_maxrss * 1024L;
    out.stats = stats_;
    return out;
  }

  std::optional<z3::model> Satisfy(const z3::expr& condition) {
    solver_.push();
    solver_.add(condition);
    const auto r = Check();
    std::optional<z3::model> m;
    if (r == z3::sat) m = solver_.get_model();
    solver_.pop();
    return m;
  }

 private:
  // ---- solver ----
  z3::check_result Check() {
    ++stats_.solver_calls;
    const auto t0 = std::chrono::steady_clock::now();
    const z3::check_result r = solver_.check();
    stats_.solver_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }
  // Whether pc && extra may hold; a solver timeout ends the path undecided.
  bool Feasible(const State& s, const z3::expr& extra) {
    const z3::expr e = extra.simplify();
    if (e.is_true()) return true;
    if (e.is_false()) return false;
    solver_.push();
    for (const z3::expr& c : s.pc) solver_.add(c);
    solver_.add(e);
    const z3::check_result r = Check();
    solver_.pop();
    if (r == z3::unknown) throw PathStop{PathEnd::kUndecided, "the solver gave up (timeout)"};
    return r == z3::sat;
  }
  z3::expr Condition(const State& s) const {
    z3::expr_vector v(ctx_);
    for (const z3::expr& c : s.pc) v.push_back(c);
    return v.empty() ? ctx_.bool_val(true) : z3::mk_and(v).simplify();
  }
  static void Assume(State& s, const z3::expr& c) {
    const z3::expr e = c.simplify();
    if (!e.is_true()) s.pc.push_back(e);
  }

  // ---- globals and functions as objects ----
  Status InitGlobals() {
    if (base_memory_) return Status::Ok();
    base_memory_ = std::make_unique<Memory>(ctx_);
    Memory& m = *base_memory_;
    for (const llvm::Function& fn : module_) {
      const uint32_t id = m.Allocate(fn.getName().str(), {}, /*writable=*/false);
      function_objects_[id] = &fn;
      object_of_[&fn] = id;
    }
    for (const llvm::GlobalVariable& g : module_.globals()) {
      const size_t size = dl_.getTypeAllocSize(g.getValueType());
      const uint32_t id = m.AllocateSymbolic(g.getName().str(), size, !g.isConstant());
      m.object(id).global = true;
      object_of_[&g] = id;
    }
    for (const llvm::GlobalVariable& g : module_.globals()) {
      if (!g.hasInitializer()) continue;  // external: unknown contents (symbolic)
      std::vector<z3::expr> bytes(dl_.getTypeAllocSize(g.getValueType()), ctx_.bv_val(0, 8));
      if (Status s = ConstantBytes(g.getInitializer(), 0, bytes); !s.ok()) {
        return s.WithContext("global @" + g.getName().str());
      }
      m.object(object_of_.at(&g)).bytes = std::move(bytes);
    }
    return Status::Ok();
  }

  Status ConstantBytes(const llvm::Constant* c, size_t at, std::vector<z3::expr>& out) {
    if (llvm::isa<llvm::ConstantAggregateZero>(c) || llvm::isa<llvm::UndefValue>(c) ||
        llvm::isa<llvm::ConstantPointerNull>(c)) {
      return Status::Ok();  // zeros (undef and poison read as zero)
    }
    if (const auto* seq = llvm::dyn_cast<llvm::ConstantDataSequential>(c)) {
      const size_t elem = dl_.getTypeAllocSize(seq->getElementType());
      for (unsigned i = 0; i < seq->getNumElements(); ++i) {
        if (Status s = ConstantBytes(seq->getElementAsConstant(i), at + i * elem, out); !s.ok())
          return s;
      }
      return Status::Ok();
    }
    if (const auto* st = llvm::dyn_cast<llvm::ConstantStruct>(c)) {
      const llvm::StructLayout* layout = dl_.getStructLayout(st->getType());
      for (unsigned i = 0; i < st->getNumOperands(); ++i) {
        if (Status s = ConstantBytes(st->getOperand(i), at + layout->getElementOffset(i), out);
            !s.ok())
          return s;
      }
      return Status::Ok();
    }
    if (const auto* arr = llvm::dyn_cast<llvm::ConstantArray>(c)) {
      const size_t elem = dl_.getTypeAllocSize(arr->getType()->getElementType());
      for (unsigned i = 0; i < arr->getNumOperands(); ++i) {
        if (Status s = ConstantBytes(arr->getOperand(i), at + i * elem, out); !s.ok()) return s;
      }
      return Status::Ok();
    }
    std::optional<z3::expr> v;
    try {
      v = ConstantValue(c);
    } catch (const PathStop& stop) {
      return Status::Error(stop.message);
    }
    const unsigned bytes = BytesOf(c->getType());
    z3::expr wide = v->get_sort().bv_size() < bytes * 8
                        ? z3::zext(*v, bytes * 8 - v->get_sort().bv_size())
                        : *v;
    for (unsigned i = 0; i < bytes; ++i) out.at(at + i) = wide.extract(8 * i + 7, 8 * i).simplify();
    return Status::Ok();
  }

  // ---- values ----
  z3::expr Fresh(const char* what, unsigned bits) {
    return ctx_.bv_const(fmt::format("{}!{}", what, fresh_++).c_str(), bits);
  }

  z3::expr ConstantValue(const llvm::Constant* c) {
    if (const auto* ci = llvm::dyn_cast<llvm::ConstantInt>(c)) {
      const llvm::APInt& v = ci->getValue();
      if (v.getBitWidth() <= 64) return ctx_.bv_val(v.getZExtValue(), v.getBitWidth());
      return ctx_.bv_val(llvm::toString(v, 10, false).c_str(), v.getBitWidth());
    }
    if (llvm::isa<llvm::ConstantPointerNull>(c)) return ctx_.bv_val(0, 64);
    if (const auto* g = llvm::dyn_cast<llvm::GlobalValue>(c)) {
      auto it = object_of_.find(g);
      if (it == object_of_.end()) {
        throw PathStop{PathEnd::kUndecided,
                       fmt::format("global value @{} is not modelled", g->getName().str())};
      }
      return base_memory_->Pointer(it->second, 0);
    }
    if (c->getType()->isStructTy() || c->getType()->isArrayTy()) {
      std::vector<z3::expr> bytes(BytesOf(c->getType()), ctx_.bv_val(0, 8));
      if (Status st = ConstantBytes(c, 0, bytes); !st.ok()) {
        throw PathStop{PathEnd::kUndecided, st.message()};
      }
      z3::expr v = bytes.front();
      for (size_t i = 1; i < bytes.size(); ++i) v = z3::concat(bytes[i], v);
      return v.simplify();
    }
    if (llvm::isa<llvm::UndefValue>(c)) {
      const unsigned bits = BitsOf(c->getType());
      if (bits == 0)
        throw PathStop{PathEnd::kUndecided, "an undefined value of an unmodelled type"};
      return ctx_.bv_val(0, bits);
    }
    if (const auto* ce = llvm::dyn_cast<llvm::ConstantExpr>(c)) {
      llvm::Instruction* inst = const_cast<llvm::ConstantExpr*>(ce)->getAsInstruction();
      Frame scratch;
      try {
        z3::expr v = Pure(scratch, *inst);
        inst->deleteValue();
        return v;
      } catch (...) {
        inst->deleteValue();
        throw;
      }
    }
    std::string text;
    llvm::raw_string_ostream os(text);
    os << *c;
    throw PathStop{PathEnd::kUndecided, fmt::format("constant not modelled: {}", text)};
  }

  z3::expr Eval(Frame& f, const llvm::Value* v) {
    if (auto it = f.values.find(v); it != f.values.end()) return it->second;
    if (const auto* c = llvm::dyn_cast<llvm::Constant>(v)) return ConstantValue(c);
    std::string text;
    llvm::raw_string_ostream os(text);
    os << *v;
    throw PathStop{PathEnd::kUndecided, fmt::format("value not modelled: {}", text)};
  }

  // The instructions that compute a value from their operands alone.
  z3::expr Pure(Frame& f, const llvm::Instruction& inst) {
    using llvm::Instruction;
    const unsigned op = inst.getOpcode();
    if (inst.isBinaryOp()) {
      const z3::expr a = Eval(f, inst.getOperand(0)), b = Eval(f, inst.getOperand(1));
      switch (op) {
        case Instruction::Add:
          return a + b;
        case Instruction::Sub:
          return a - b;
        case Instruction::Mul:
          return a * b;
        case Instruction::UDiv:
          return z3::udiv(a, b);
        case Instruction::SDiv:
          return a / b;
        case Instruction::URem:
          return z3::urem(a, b);
        case Instruction::SRem:
          return z3::srem(a, b);
        case Instruction::Shl:
          return z3::shl(a, b);
        case Instruction::LShr:
          return z3::lshr(a, b);
        case Instruction::AShr:
          return z3::ashr(a, b);
        case Instruction::And:
          return a & b;
        case Instruction::Or:
          return a | b;
        case Instruction::Xor:
          return a ^ b;
        default:
          break;
      }
    }
    switch (op) {
      case Instruction::ICmp: {
        const auto& cmp = llvm::cast<llvm::ICmpInst>(inst);
        const z3::expr a = Eval(f, inst.getOperand(0)), b = Eval(f, inst.getOperand(1));
        z3::expr c = a == b;
        switch (cmp.getPredicate()) {
          case llvm::CmpInst::ICMP_EQ:
            c = a == b;
            break;
          case llvm::CmpInst::ICMP_NE:
            c = a != b;
            break;
          case llvm::CmpInst::ICMP_UGT:
            c = z3::ugt(a, b);
            break;
          case llvm::CmpInst::ICMP_UGE:
            c = z3::uge(a, b);
            break;
          case llvm::CmpInst::ICMP_ULT:
            c = z3::ult(a, b);
            break;
          case llvm::CmpInst::ICMP_ULE:
            c = z3::ule(a, b);
            break;
          case llvm::CmpInst::ICMP_SGT:
            c = a > b;
            break;
          case llvm::CmpInst::ICMP_SGE:
            c = a >= b;
            break;
          case llvm::CmpInst::ICMP_SLT:
            c = a < b;
            break;
          case llvm::CmpInst::ICMP_SLE:
            c = a <= b;
            break;
          default:
            throw PathStop{PathEnd::kUndecided, "comparison not modelled: " + Where(inst)};
        }
        return z3::ite(c, ctx_.bv_val(1, 1), ctx_.bv_val(0, 1));
      }
      case Instruction::Select: {
        const z3::expr c = Eval(f, inst.getOperand(0));
        return z3::ite(c == ctx_.bv_val(1, 1), Eval(f, inst.getOperand(1)),
                       Eval(f, inst.getOperand(2)));
      }
      case Instruction::ZExt:
      case Instruction::SExt:
      case Instruction::Trunc:
      case Instruction::PtrToInt:
      case Instruction::IntToPtr:
      case Instruction::BitCast: {
        const z3::expr a = Eval(f, inst.getOperand(0));
        const unsigned from = a.get_sort().bv_size(), to = BitsOf(inst.getType());
        if (to == 0) throw PathStop{PathEnd::kUndecided, "cast not modelled: " + Where(inst)};
        if (to == from) return a;
        if (to < from) return a.extract(to - 1, 0);
        return op == Instruction::SExt ? z3::sext(a, to - from) : z3::zext(a, to - from);
      }
      case Instruction::GetElementPtr: {
        const auto& gep = llvm::cast<llvm::GetElementPtrInst>(inst);
        z3::expr p = Eval(f, gep.getPointerOperand());
        for (auto it = llvm::gep_type_begin(gep); it != llvm::gep_type_end(gep); ++it) {
          if (llvm::StructType* st = it.getStructTypeOrNull()) {
            const auto* idx = llvm::cast<llvm::ConstantInt>(it.getOperand());
            p = p + ctx_.bv_val(dl_.getStructLayout(st)->getElementOffset(idx->getZExtValue()), 64);
          } else {
            z3::expr idx = Eval(f, it.getOperand());
            const unsigned bits = idx.get_sort().bv_size();
            if (bits < 64) idx = z3::sext(idx, 64 - bits);
            if (bits > 64) idx = idx.extract(63, 0);
            const uint64_t size = dl_.getTypeAllocSize(it.getIndexedType());
            p = p + idx * ctx_.bv_val(size, 64);
          }
        }
        return p;
      }
      case Instruction::Freeze:
        return Eval(f, inst.getOperand(0));
      case Instruction::ExtractValue: {
        const auto& ev = llvm::cast<llvm::ExtractValueInst>(inst);
        const z3::expr agg = Eval(f, ev.getAggregateOperand());
        auto [offset, t] = Member(ev.getAggregateOperand()->getType(), ev.getIndices());
        const unsigned lo = static_cast<unsigned>(offset * 8);
        return FromMemory(agg.extract(lo + BytesOf(t) * 8 - 1, lo), t);
      }
      case Instruction::InsertValue: {
        const auto& iv = llvm::cast<llvm::InsertValueInst>(inst);
        const z3::expr agg = Eval(f, iv.getAggregateOperand());
        auto [offset, t] = Member(iv.getAggregateOperand()->getType(), iv.getIndices());
        return Replace(agg, offset, ToMemory(Eval(f, iv.getInsertedValueOperand()), t));
      }
      default:
        break;
    }
    throw PathStop{PathEnd::kUndecided, "instruction not modelled: " + Where(inst)};
  }

  // ---- control ----
  // Enters `block` of the top frame coming from `from`: the phis take their incoming values.
  void Enter(Frame& f, const llvm::BasicBlock* block, const llvm::BasicBlock* from) {
    if (++f.visits[block] > options_.max_block_visits) {
      throw PathStop{PathEnd::kUndecided,
                     fmt::format("loop bound: a block of {} entered more than {} times",
                                 f.fn->getName().str(), options_.max_block_visits)};
    }
    std::vector<std::pair<const llvm::PHINode*, z3::expr>> incoming;
    for (const llvm::PHINode& phi : block->phis()) {
      incoming.emplace_back(&phi, Eval(f, phi.getIncomingValueForBlock(from)));
    }
    for (auto& [phi, v] : incoming) f.values.insert_or_assign(phi, v);
    f.block = block;
    f.ip = block->getFirstNonPHI()->getIterator();
  }

  std::vector<PathResult> RunPaths(State initial) {
    std::vector<PathResult> results;
    std::vector<State> work;
    work.push_back(std::move(initial));
    while (!work.empty()) {
      State s = std::move(work.back());
      work.pop_back();
      if (!s.summary && stats_.paths >= options_.max_paths) {
        results.push_back({PathEnd::kUndecided, Condition(s), std::nullopt,
                           fmt::format("path limit ({}) reached", options_.max_paths), nullptr});
        ++stats_.paths;
        continue;
      }
      try {
        while (true) {
          std::optional<z3::expr> returned;
          if (Step(s, work, returned)) {
            if (s.summary) {
              results.push_back({PathEnd::kReturned, Condition(s), returned, "", nullptr});
              summary_reads_.push_back(s.reads);
            } else {
              results.push_back({PathEnd::kReturned, Condition(s), returned, "",
                                 std::make_shared<const Memory>(s.memory)});
              ++stats_.paths;
            }
            break;
          }
        }
      } catch (const PathStop& stop) {
        if (s.summary) {
          results.push_back({stop.end, Condition(s), std::nullopt, stop.message, nullptr});
          summary_reads_.push_back(s.reads);
        } else {
          results.push_back({stop.end, Condition(s), std::nullopt, stop.message,
                             std::make_shared<const Memory>(s.memory)});
          ++stats_.paths;
        }
      } catch (const Replaced&) {
      }
    }
    return results;
  }

  // A copy of `s` with `c` assumed, on the work list.
  void Fork(const State& s, const z3::expr& c, std::vector<State>& work) {
    State copy = s;
    Assume(copy, c);
    work.push_back(std::move(copy));
  }

  // Ends a path with an error where `c` may hold, as a separate path; `s` goes on where it does
  // not (and is dropped when it always does).
  void ErrorIf(State& s, const z3::expr& c, const std::string& message) {
    if (Feasible(s, c)) {
      State bad = s;
      Assume(bad, c);
      pending_errors_.push_back(
          {PathEnd::kError, Condition(bad), std::nullopt, message,
           bad.summary ? nullptr : std::make_shared<const Memory>(bad.memory)});
      if (bad.summary) pending_error_reads_.push_back(bad.reads);
      if (!Feasible(s, !c)) throw Replaced{};
    }
    Assume(s, !c);
  }

  // The object and offset a pointer names, with `n` bytes in bounds (paths where they are not
  // end in errors; a pointer that may name several objects forks).
  std::pair<uint32_t, z3::expr> Resolve(State& s, const z3::expr& pointer, unsigned n, bool write,
                                        const llvm::Instruction& inst, std::vector<State>& work) {
    const z3::expr tag = PointerObject(pointer);
    uint64_t id = 0;
    if (!tag.is_numeral_u64(id)) {
      // Enumerate the objects it may name; each becomes a state that re-runs this instruction.
      std::vector<uint64_t> targets;
      solver_.push();
      for (const z3::expr& c : s.pc) solver_.add(c);
      while (static_cast<int>(targets.size()) <= options_.max_pointer_targets) {
        const z3::check_result r = Check();
        if (r == z3::unknown) {
          solver_.pop();
          throw PathStop{PathEnd::kUndecided, "the solver gave up resolving a pointer"};
        }
        if (r != z3::sat) break;
        uint64_t v = 0;
        solver_.get_model().eval(tag, true).is_numeral_u64(v);
        targets.push_back(v);
        solver_.add(tag != ctx_.bv_val(v, 32));
      }
      solver_.pop();
      if (static_cast<int>(targets.size()) > options_.max_pointer_targets) {
        throw PathStop{PathEnd::kUndecided,
                       "a pointer that may name too many objects: " + Where(inst)};
      }
      if (targets.size() != 1) {
        for (uint64_t v : targets) Fork(s, tag == ctx_.bv_val(v, 32), work);
        throw Replaced{};
      }
      id = targets.front();
      Assume(s, tag == ctx_.bv_val(id, 32));
    }
    const uint32_t obj = static_cast<uint32_t>(id);
    if (!s.memory.Valid(obj) || function_objects_.count(obj)) {
      throw PathStop{PathEnd::kError,
                     fmt::format("{} through {} pointer: {}", write ? "write" : "read",
                                 obj == kNullObject ? "a null" : "an invalid", Where(inst))};
    }
    const MemObject& o = s.memory.object(obj);
    const z3::expr offset = PointerOffset(pointer);
    if (o.array) {
      if (write) throw NotSummarisable{"it writes through a pointer parameter"};
      s.reads.push_back({s.param_objects.at(obj), (offset + ctx_.bv_val(n, 32)).simplify()});
      return {obj, offset};
    }
    if (write && !o.writable) {
      throw PathStop{PathEnd::kError,
                     fmt::format("write to read-only {}: {}", o.name, Where(inst))};
    }
    if (s.summary && o.global && o.writable) {
      throw NotSummarisable{"it uses mutable global " + o.name};
    }
    const uint64_t size = o.bytes.size();
    if (size < n) {
      throw PathStop{PathEnd::kError, fmt::format("{}-byte access to {} ({} bytes): {}", n, o.name,
                                                  size, Where(inst))};
    }
    const z3::expr in_bounds = z3::ule(offset, ctx_.bv_val(size - n, 32));
    ErrorIf(s, !in_bounds,
            fmt::format("out-of-bounds {} of {} ({} bytes): {}", write ? "write" : "read", o.name,
                        size, Where(inst)));
    return {obj, offset};
  }

  // Executes the top frame's next instruction. True when the bottom frame returned (`returned`
  // holds its value, if any).
  bool Step(State& s, std::vector<State>& work, std::optional<z3::expr>& returned) {
    Frame& f = s.stack.back();
    const llvm::Instruction& inst = *f.ip;
    ++stats_.instructions;
    using llvm::Instruction;
    switch (inst.getOpcode()) {
      case Instruction::Br: {
        const auto& br = llvm::cast<llvm::BranchInst>(inst);
        if (br.isUnconditional()) {
          Enter(f, br.getSuccessor(0), f.block);
          return false;
        }
        const z3::expr c = Eval(f, br.getCondition()) == ctx_.bv_val(1, 1);
        const bool yes = Feasible(s, c), no = Feasible(s, !c);
        if (yes && no) {
          ++stats_.forks;
          State other = s;
          Assume(other, !c);
          Enter(other.stack.back(), br.getSuccessor(1), f.block);
          work.push_back(std::move(other));
        }
        if (!yes && !no) throw PathStop{PathEnd::kUndecided, "an infeasible path reached a branch"};
        if (yes) {
          Assume(s, c);
          Enter(f, br.getSuccessor(0), f.block);
        } else {
          Assume(s, !c);
          Enter(f, br.getSuccessor(1), f.block);
        }
        return false;
      }
      case Instruction::Switch: {
        const auto& sw = llvm::cast<llvm::SwitchInst>(inst);
        const z3::expr v = Eval(f, sw.getCondition());
        z3::expr none = ctx_.bool_val(true);
        std::vector<std::pair<z3::expr, const llvm::BasicBlock*>> arms;
        for (const auto& cs : sw.cases()) {
          const z3::expr c = v == ConstantValue(cs.getCaseValue());
          arms.emplace_back(c, cs.getCaseSuccessor());
          none = none && !c;
        }
        arms.emplace_back(none, sw.getDefaultDest());
        std::vector<std::pair<z3::expr, const llvm::BasicBlock*>> live;
        for (auto& arm : arms) {
          if (Feasible(s, arm.first)) live.push_back(arm);
        }
        if (live.empty())
          throw PathStop{PathEnd::kUndecided, "an infeasible path reached a switch"};
        const llvm::BasicBlock* from = f.block;
        for (size_t i = 1; i < live.size(); ++i) {
          ++stats_.forks;
          State other = s;
          Assume(other, live[i].first);
          Enter(other.stack.back(), live[i].second, from);
          work.push_back(std::move(other));
        }
        Assume(s, live[0].first);
        Enter(f, live[0].second, from);
        return false;
      }
      case Instruction::Ret: {
        const auto& ret = llvm::cast<llvm::ReturnInst>(inst);
        std::optional<z3::expr> v;
        if (ret.getReturnValue()) v = Eval(f, ret.getReturnValue());
        const llvm::CallBase* call = f.call;
        s.stack.pop_back();
        if (s.stack.empty()) {
          returned = v;
          return true;
        }
        if (v) s.stack.back().values.insert_or_assign(call, *v);
        return false;
      }
      case Instruction::Unreachable:
        throw PathStop{PathEnd::kError,
                       "reached 'unreachable' (undefined behaviour): " + Where(inst)};
      case Instruction::Alloca: {
        const auto& al = llvm::cast<llvm::AllocaInst>(inst);
        uint64_t count = 1;
        if (al.isArrayAllocation()) {
          if (!Eval(f, al.getArraySize()).simplify().is_numeral_u64(count)) {
            throw PathStop{PathEnd::kUndecided, "an alloca of symbolic size: " + Where(inst)};
          }
        }
        const uint64_t size = dl_.getTypeAllocSize(al.getAllocatedType()) * count;
        std::vector<z3::expr> bytes;
        for (uint64_t i = 0; i < size; ++i) bytes.push_back(Fresh("uninit", 8));
        const uint32_t obj =
            s.memory.Allocate(fmt::format("{}.{}", f.fn->getName().str(), al.getName().str()),
                              std::move(bytes), true);
        f.values.insert_or_assign(&inst, s.memory.Pointer(obj, 0));
        ++f.ip;
        return false;
      }
      case Instruction::Load: {
        const auto& ld = llvm::cast<llvm::LoadInst>(inst);
        const unsigned bits = BitsOf(ld.getType());
        if (bits == 0)
          throw PathStop{PathEnd::kUndecided, "a load of an unmodelled type: " + Where(inst)};
        const unsigned n = BytesOf(ld.getType());
        auto [obj, off] = Resolve(s, Eval(f, ld.getPointerOperand()), n, false, inst, work);
        f.values.insert_or_assign(&inst,
                                  FromMemory(s.memory.Load(obj, off, n), ld.getType()).simplify());
        ++f.ip;
        return false;
      }
      case Instruction::Store: {
        const auto& st = llvm::cast<llvm::StoreInst>(inst);
        llvm::Type* t = st.getValueOperand()->getType();
        const unsigned bits = BitsOf(t);
        if (bits == 0)
          throw PathStop{PathEnd::kUndecided, "a store of an unmodelled type: " + Where(inst)};
        const unsigned n = BytesOf(t);
        const z3::expr v = ToMemory(Eval(f, st.getValueOperand()), t);
        auto [obj, off] = Resolve(s, Eval(f, st.getPointerOperand()), n, true, inst, work);
        s.memory.Store(obj, off, v);
        ++f.ip;
        return false;
      }
      case Instruction::Fence:
        ++f.ip;  // one thread: nothing to order
        return false;
      case Instruction::AtomicRMW: {
        const auto& rmw = llvm::cast<llvm::AtomicRMWInst>(inst);
        llvm::Type* t = rmw.getValOperand()->getType();
        if (!t->isIntegerTy() && !t->isPointerTy()) {
          throw PathStop{PathEnd::kUndecided, "an atomic of an unmodelled type: " + Where(inst)};
        }
        const unsigned n = BytesOf(t);
        auto [obj, off] = Resolve(s, Eval(f, rmw.getPointerOperand()), n, true, inst, work);
        const z3::expr old = FromMemory(s.memory.Load(obj, off, n), t).simplify();
        const z3::expr v = Eval(f, rmw.getValOperand());
        z3::expr next = v;
        using Op = llvm::AtomicRMWInst::BinOp;
        switch (rmw.getOperation()) {
          case Op::Xchg:
            next = v;
            break;
          case Op::Add:
            next = old + v;
            break;
          case Op::Sub:
            next = old - v;
            break;
          case Op::And:
            next = old & v;
            break;
          case Op::Or:
            next = old | v;
            break;
          case Op::Xor:
            next = old ^ v;
            break;
          case Op::Nand:
            next = ~(old & v);
            break;
          case Op::Max:
            next = z3::ite(old > v, old, v);
            break;
          case Op::Min:
            next = z3::ite(old < v, old, v);
            break;
          case Op::UMax:
            next = z3::ite(z3::ugt(old, v), old, v);
            break;
          case Op::UMin:
            next = z3::ite(z3::ult(old, v), old, v);
            break;
          default:
            throw PathStop{PathEnd::kUndecided, "an atomic operation not modelled: " + Where(inst)};
        }
        s.memory.Store(obj, off, ToMemory(next.simplify(), t));
        f.values.insert_or_assign(&inst, old);
        ++f.ip;
        return false;
      }
      case Instruction::AtomicCmpXchg: {
        const auto& cx = llvm::cast<llvm::AtomicCmpXchgInst>(inst);
        llvm::Type* t = cx.getCompareOperand()->getType();
        const unsigned n = BytesOf(t);
        auto [obj, off] = Resolve(s, Eval(f, cx.getPointerOperand()), n, true, inst, work);
        const z3::expr old = FromMemory(s.memory.Load(obj, off, n), t).simplify();
        const z3::expr same = old == Eval(f, cx.getCompareOperand());
        s.memory.Store(obj, off,
                       ToMemory(z3::ite(same, Eval(f, cx.getNewValOperand()), old).simplify(), t));
        // The result is { old value, success }.
        llvm::Type* rt = cx.getType();
        z3::expr result = ctx_.bv_val(0, BitsOf(rt));
        auto [o0, t0] = Member(rt, {0});
        auto [o1, t1] = Member(rt, {1});
        result = Replace(result, o0, ToMemory(old, t0));
        result =
            Replace(result, o1, ToMemory(z3::ite(same, ctx_.bv_val(1, 1), ctx_.bv_val(0, 1)), t1));
        f.values.insert_or_assign(&inst, result.simplify());
        ++f.ip;
        return false;
      }
      case Instruction::Call:
        return Call(s, llvm::cast<llvm::CallInst>(inst), work);
      default: {
        z3::expr v = Pure(f, inst).simplify();
        f.values.insert_or_assign(&inst, v);
        ++f.ip;
        return false;
      }
    }
  }

  // ---- calls ----
  bool Call(State& s, const llvm::CallInst& call, std::vector<State>& work) {
    Frame& f = s.stack.back();
    const llvm::Function* callee = call.getCalledFunction();
    if (!callee) {
      const z3::expr target = Eval(f, call.getCalledOperand());
      uint64_t id = 0;
      if (!PointerObject(target).is_numeral_u64(id) || !function_objects_.count(id)) {
        throw PathStop{PathEnd::kUndecided,
                       "an indirect call to an unresolved target: " + Where(call)};
      }
      callee = function_objects_.at(static_cast<uint32_t>(id));
    }
    if (callee->isIntrinsic()) return Intrinsic(s, call, *callee, work);
    if (auto rule = options_.stubs.find(callee->getName().str()); rule != options_.stubs.end()) {
      return ApplyStubRule(s, call, rule->first, rule->second);
    }
    if (callee->isDeclaration()) return Stub(s, call, *callee, work);
    std::vector<z3::expr> args;
    for (const llvm::Use& a : call.args()) args.push_back(Eval(f, a.get()));
    ++f.ip;
    if (options_.summaries && ApplySummary(s, call, *callee, args, work)) return false;
    ++stats_.inlined_calls;
    if (s.stack.size() >= 256) throw PathStop{PathEnd::kUndecided, "call depth above 256"};
    Frame callee_frame;
    callee_frame.fn = callee;
    callee_frame.call = &call;
    size_t i = 0;
    for (const llvm::Argument& formal : callee->args())
      callee_frame.values.emplace(&formal, args[i++]);
    Enter(callee_frame, &callee->getEntryBlock(), nullptr);
    s.stack.push_back(std::move(callee_frame));
    return false;
  }

  bool ApplyStubRule(State& s, const llvm::CallInst& call, const std::string& name,
                     const StubRule& rule) {
    ++stats_.stub_calls;
    Frame& f = s.stack.back();
    llvm::Type* rt = call.getType();
    const unsigned bits = rt->isVoidTy() ? 0 : BitsOf(rt);
    if (!rt->isVoidTy() && bits == 0) {
      throw PathStop{PathEnd::kUndecided, "a stub for " + name + " returning an unmodelled type"};
    }
    switch (rule.action) {
      case StubRule::Action::kFail:
        throw PathStop{PathEnd::kError,
                       fmt::format("{} (stub for {}): {}", rule.message, name, Where(call))};
      case StubRule::Action::kSkip:
        if (bits) SetResult(s, call, ctx_.bv_val(0, bits));
        break;
      case StubRule::Action::kReturn:
        if (bits) SetResult(s, call, ctx_.bv_val(static_cast<uint64_t>(rule.value), bits));
        break;
      case StubRule::Action::kFresh:
        if (bits) SetResult(s, call, Fresh(name.c_str(), bits));
        break;
      case StubRule::Action::kReturnArg: {
        if (rule.arg >= call.arg_size()) {
          throw PathStop{PathEnd::kUndecided,
                         fmt::format("the stub for {} returns argument {}, which the call lacks",
                                     name, rule.arg)};
        }
        z3::expr v = Eval(f, call.getArgOperand(rule.arg));
        const unsigned from = v.get_sort().bv_size();
        if (bits)
          SetResult(s, call, from >= bits ? v.extract(bits - 1, 0) : z3::zext(v, bits - from));
        break;
      }
    }
    ++s.stack.back().ip;
    return false;
  }

  void SetResult(State& s, const llvm::CallInst& call, const z3::expr& v) {
    s.stack.back().values.insert_or_assign(&call, v.simplify());
  }

  // Concrete length of a memory builtin.
  uint64_t ConcreteLength(Frame& f, const llvm::Value* v, const llvm::CallInst& call) {
    uint64_t n = 0;
    if (!Eval(f, v).simplify().is_numeral_u64(n)) {
      throw PathStop{PathEnd::kUndecided,
                     "a memory builtin with a symbolic length: " + Where(call)};
    }
    return n;
  }

  void Copy(State& s, const z3::expr& dst, const z3::expr& src, uint64_t n,
            const llvm::CallInst& call, std::vector<State>& work) {
    if (n == 0) return;
    auto [sobj, soff] = Resolve(s, src, static_cast<unsigned>(n), false, call, work);
    std::vector<z3::expr> bytes;
    for (uint64_t i = 0; i < n; ++i)
      bytes.push_back(s.memory.Load(sobj, soff + ctx_.bv_val(i, 32), 1));
    auto [dobj, doff] = Resolve(s, dst, static_cast<unsigned>(n), true, call, work);
    for (uint64_t i = 0; i < n; ++i) s.memory.Store(dobj, doff + ctx_.bv_val(i, 32), bytes[i]);
  }

  bool Intrinsic(State& s, const llvm::CallInst& call, const llvm::Function& callee,
                 std::vector<State>& work) {
    Frame& f = s.stack.back();
    auto arg = [&](unsigned i) { return Eval(f, call.getArgOperand(i)); };
    switch (callee.getIntrinsicID()) {
      case llvm::Intrinsic::lifetime_start:
      case llvm::Intrinsic::lifetime_end:
      case llvm::Intrinsic::dbg_declare:
      case llvm::Intrinsic::dbg_value:
      case llvm::Intrinsic::dbg_label:
        break;
      case llvm::Intrinsic::assume:
        Assume(s, arg(0) == ctx_.bv_val(1, 1));
        break;
      case llvm::Intrinsic::expect:
        SetResult(s, call, arg(0));
        break;
      case llvm::Intrinsic::umin:
        SetResult(s, call, z3::ite(z3::ult(arg(0), arg(1)), arg(0), arg(1)));
        break;
      case llvm::Intrinsic::umax:
        SetResult(s, call, z3::ite(z3::ugt(arg(0), arg(1)), arg(0), arg(1)));
        break;
      case llvm::Intrinsic::smin:
        SetResult(s, call, z3::ite(arg(0) < arg(1), arg(0), arg(1)));
        break;
      case llvm::Intrinsic::smax:
        SetResult(s, call, z3::ite(arg(0) > arg(1), arg(0), arg(1)));
        break;
      case llvm::Intrinsic::abs: {
        const z3::expr a = arg(0);
        SetResult(s, call, z3::ite(a < ctx_.bv_val(0, a.get_sort().bv_size()), -a, a));
        break;
      }
      case llvm::Intrinsic::memcpy:
      case llvm::Intrinsic::memmove:
        Copy(s, arg(0), arg(1), ConcreteLength(f, call.getArgOperand(2), call), call, work);
        break;
      case llvm::Intrinsic::memset: {
        const uint64_t n = ConcreteLength(f, call.getArgOperand(2), call);
        if (n == 0) break;
        auto [obj, off] = Resolve(s, arg(0), static_cast<unsigned>(n), true, call, work);
        const z3::expr byte = arg(1);
        for (uint64_t i = 0; i < n; ++i) s.memory.Store(obj, off + ctx_.bv_val(i, 32), byte);
        break;
      }
      default:
        throw PathStop{PathEnd::kUndecided, "intrinsic not modelled: " + callee.getName().str()};
    }
    ++s.stack.back().ip;
    return false;
  }

  // Functions the module only declares: the C library's memory and string functions, allocation,
  // and the ways a C program stops. Anything else ends the path undecided, naming it.
  bool Stub(State& s, const llvm::CallInst& call, const llvm::Function& callee,
            std::vector<State>& work) {
    Frame& f = s.stack.back();
    const std::string name = callee.getName().str();
    auto arg = [&](unsigned i) { return Eval(f, call.getArgOperand(i)); };
    if (name == "abort" || name == "__assert_fail" || name == "exit" || name == "_exit") {
      throw PathStop{PathEnd::kError, fmt::format("called {}: {}", name, Where(call))};
    }
    if (name == "malloc" || name == "calloc") {
      uint64_t n = ConcreteLength(f, call.getArgOperand(0), call);
      if (name == "calloc") n *= ConcreteLength(f, call.getArgOperand(1), call);
      std::vector<z3::expr> bytes;
      for (uint64_t i = 0; i < n; ++i) {
        bytes.push_back(name == "calloc" ? ctx_.bv_val(0, 8) : Fresh("malloc", 8));
      }
      const uint32_t obj =
          s.memory.Allocate(fmt::format("heap#{}", fresh_++), std::move(bytes), true);
      SetResult(s, call, s.memory.Pointer(obj, 0));
    } else if (name == "free") {
      // Nothing: objects are never reused, so a use after free reads stale bytes (not checked).
    } else if (name == "memcpy" || name == "memmove") {
      Copy(s, arg(0), arg(1), ConcreteLength(f, call.getArgOperand(2), call), call, work);
      SetResult(s, call, arg(0));
    } else if (name == "memset") {
      const uint64_t n = ConcreteLength(f, call.getArgOperand(2), call);
      if (n > 0) {
        auto [obj, off] = Resolve(s, arg(0), static_cast<unsigned>(n), true, call, work);
        const z3::expr byte = arg(1).extract(7, 0);
        for (uint64_t i = 0; i < n; ++i) s.memory.Store(obj, off + ctx_.bv_val(i, 32), byte);
      }
      SetResult(s, call, arg(0));
    } else if (name == "memcmp") {
      const uint64_t n = ConcreteLength(f, call.getArgOperand(2), call);
      z3::expr result = ctx_.bv_val(0, 32);
      if (n > 0) {
        auto [aobj, aoff] = Resolve(s, arg(0), static_cast<unsigned>(n), false, call, work);
        auto [bobj, boff] = Resolve(s, arg(1), static_cast<unsigned>(n), false, call, work);
        for (uint64_t i = n; i-- > 0;) {
          const z3::expr a = s.memory.Load(aobj, aoff + ctx_.bv_val(i, 32), 1);
          const z3::expr b = s.memory.Load(bobj, boff + ctx_.bv_val(i, 32), 1);
          result = z3::ite(a == b, result, z3::zext(a, 24) - z3::zext(b, 24));
        }
      }
      SetResult(s, call, result);
    } else {
      throw PathStop{
          PathEnd::kUndecided,
          fmt::format("call to {}, which the module does not define and no stub models: {}", name,
                      Where(call))};
    }
    ++s.stack.back().ip;
    return false;
  }

  // ---- summaries ----
  Summary& SummaryOf(const llvm::Function& fn) {
    if (auto it = summaries_.find(&fn); it != summaries_.end()) return it->second;
    Summary& sum = summaries_[&fn];
    const llvm::Type* rt = fn.getReturnType();
    if (!(rt->isVoidTy() || rt->isIntegerTy())) {
      sum.why_not = "it returns a pointer or an aggregate";
      return sum;
    }
    State s{{}, *base_memory_, {}, true, {}, {}};
    Frame f;
    f.fn = &fn;
    size_t i = 0;
    for (const llvm::Argument& formal : fn.args()) {
      const std::string name = fmt::format("{}.arg{}", fn.getName().str(), i);
      if (formal.getType()->isIntegerTy()) {
        z3::expr p = ctx_.bv_const(name.c_str(), BitsOf(formal.getType()));
        sum.params.push_back(p);
        sum.pointer.push_back(false);
        f.values.emplace(&formal, p);
      } else if (formal.getType()->isPointerTy()) {
        const uint32_t obj = s.memory.AllocateArray(name);
        s.param_objects[obj] = i;
        sum.params.push_back(*s.memory.object(obj).array);
        sum.pointer.push_back(true);
        f.values.emplace(&formal, s.memory.Pointer(obj, 0));
      } else {
        sum.why_not = "a parameter is neither an integer nor a pointer";
        return sum;
      }
      ++i;
    }
    building_.insert(&fn);
    std::vector<PathResult> paths;
    std::vector<std::vector<ParamRead>> reads;
    auto saved_reads = std::move(summary_reads_);
    auto saved_errors = std::move(pending_errors_);
    auto saved_error_reads = std::move(pending_error_reads_);
    summary_reads_.clear();
    pending_errors_.clear();
    pending_error_reads_.clear();
    try {
      Enter(f, &fn.getEntryBlock(), nullptr);
      s.stack.push_back(std::move(f));
      paths = RunPaths(std::move(s));
      reads = std::move(summary_reads_);
      for (size_t k = 0; k < pending_errors_.size(); ++k) {
        paths.push_back(pending_errors_[k]);
        reads.push_back(pending_error_reads_[k]);
      }
      sum.usable = true;
    } catch (const NotSummarisable& e) {
      sum.why_not = e.why;
    } catch (const PathStop& e) {
      sum.why_not = e.message;
    }
    summary_reads_ = std::move(saved_reads);
    pending_errors_ = std::move(saved_errors);
    pending_error_reads_ = std::move(saved_error_reads);
    building_.erase(&fn);
    if (!sum.usable) return sum;
    for (size_t k = 0; k < paths.size(); ++k) {
      sum.cases.push_back(
          {paths[k].end, paths[k].condition, paths[k].value, paths[k].message, reads[k]});
    }
    ++stats_.summaries_built;
    return sum;
  }

  bool ApplySummary(State& s, const llvm::CallInst& call, const llvm::Function& fn,
                    const std::vector<z3::expr>& args, std::vector<State>& work) {
    if (building_.count(&fn)) return false;  // recursion: inline
    const bool existed = summaries_.count(&fn) > 0;
    Summary& sum = SummaryOf(fn);
    if (!sum.usable) return false;
    // The arguments split into concrete data (numerals, pointers to read-only concrete bytes),
    // on which the summary is specialised once and the specialisation kept, and the rest,
    // substituted at this call.
    z3::expr_vector data_from(ctx_), data_to(ctx_), from(ctx_), to(ctx_);
    std::vector<uint64_t> sizes(args.size(), 0);
    std::string key = fn.getName().str();
    for (size_t i = 0; i < args.size(); ++i) {
      const z3::expr a = args[i].simplify();
      if (!sum.pointer[i]) {
        if (uint64_t v = 0; a.is_numeral_u64(v)) {
          key += fmt::format("|{}={}", i, v);
          data_from.push_back(sum.params[i]);
          data_to.push_back(a);
        } else {
          from.push_back(sum.params[i]);
          to.push_back(a);
        }
        continue;
      }
      uint64_t obj = 0, off = 0;
      if (!PointerObject(a).is_numeral_u64(obj) || !PointerOffset(a).is_numeral_u64(off) ||
          !s.memory.Valid(static_cast<uint32_t>(obj)) ||
          s.memory.object(static_cast<uint32_t>(obj)).array ||
          function_objects_.count(static_cast<uint32_t>(obj))) {
        return false;  // a pointer the summary cannot take: inline
      }
      const MemObject& o = s.memory.object(static_cast<uint32_t>(obj));
      if (off > o.bytes.size()) return false;
      sizes[i] = o.bytes.size() - off;
      bool data = !o.writable;
      for (const z3::expr& b : o.bytes) data = data && b.is_numeral();
      if (data) {
        key += fmt::format("|{}=@{}+{}", i, obj, off);
        data_from.push_back(sum.params[i]);
        data_to.push_back(s.memory.AsArray(static_cast<uint32_t>(obj), off));
      } else {
        from.push_back(sum.params[i]);
        to.push_back(s.memory.AsArray(static_cast<uint32_t>(obj), off));
      }
    }
    ++stats_.summaries_applied;
    if (existed) ++stats_.summaries_reused;
    const std::vector<SummaryCase>* generic = &sum.cases;
    if (!data_from.empty()) {
      auto it = specialised_.find(key);
      if (it != specialised_.end()) {
        ++stats_.specialisations_reused;
      } else {
        ++stats_.specialisations;
        it = specialised_.emplace(key, Specialise(sum.cases, data_from, data_to)).first;
      }
      generic = &it->second;
    }
    std::vector<SummaryCase> local;
    const std::vector<SummaryCase>* cases = generic;
    if (!from.empty()) {
      local = Specialise(*generic, from, to);
      cases = &local;
    }
    // Each case that may hold here becomes a state (or a path's end).
    for (const SummaryCase& c : *cases) {
      if (!Feasible(s, c.condition)) {
        ++stats_.cases_pruned;
        continue;
      }
      State next = s;
      Assume(next, c.condition);
      for (const ParamRead& r : c.reads) {
        const z3::expr outside = z3::ugt(r.end, ctx_.bv_val(sizes[r.param], 32));
        if (Feasible(next, outside)) {
          State bad = next;
          Assume(bad, outside);
          pending_errors_.push_back(
              {PathEnd::kError, Condition(bad), std::nullopt,
               fmt::format("out-of-bounds read through argument {} of {}", r.param + 1,
                           fn.getName().str()),
               bad.summary ? nullptr : std::make_shared<const Memory>(bad.memory)});
          if (bad.summary) pending_error_reads_.push_back(bad.reads);
          Assume(next, !outside);
        }
      }
      if (c.end != PathEnd::kReturned) {
        pending_errors_.push_back(
            {c.end, Condition(next), std::nullopt,
             fmt::format("in {}: {}", fn.getName().str(), c.message),
             next.summary ? nullptr : std::make_shared<const Memory>(next.memory)});
        if (next.summary) pending_error_reads_.push_back(next.reads);
        continue;
      }
      if (c.value) SetResult(next, call, *c.value);
      work.push_back(std::move(next));
    }
    throw Replaced{};
  }

  // The summary's cases with the parameters replaced by the arguments, folded; the cases the
  // arguments rule out dropped.
  std::vector<SummaryCase> Specialise(const std::vector<SummaryCase>& cases,
                                      const z3::expr_vector& from, const z3::expr_vector& to) {
    std::vector<SummaryCase> out;
    for (const SummaryCase& c : cases) {
      SummaryCase k = c;
      k.condition = z3::expr(c.condition).substitute(from, to).simplify();
      if (k.condition.is_false()) {
        ++stats_.cases_pruned;
        continue;
      }
      if (k.value) k.value = z3::expr(*k.value).substitute(from, to).simplify();
      for (ParamRead& r : k.reads) r.end = z3::expr(r.end).substitute(from, to).simplify();
      out.push_back(std::move(k));
    }
    return out;
  }

 public:
  // Errors found off the current path (out-of-bounds accesses, failing summary cases): moved
  // into a run's results by the caller of RunPaths.
  std::vector<PathResult> TakeErrors() {
    std::vector<PathResult> out = std::move(pending_errors_);
    pending_errors_.clear();
    pending_error_reads_.clear();
    return out;
  }

 private:
  z3::context& ctx_;
  const llvm::Module& module_;
  llvm::DataLayout dl_;
  Options options_;
  Stats& stats_;
  z3::solver solver_;
  std::unique_ptr<Memory> base_memory_;
  std::unordered_map<const llvm::GlobalValue*, uint32_t> object_of_;
  std::unordered_map<uint32_t, const llvm::Function*> function_objects_;
  std::unordered_map<const llvm::Function*, Summary> summaries_;
  std::map<std::string, std::vector<SummaryCase>> specialised_;
  std::unordered_set<const llvm::Function*> building_;
  std::vector<std::vector<ParamRead>> summary_reads_;
  std::vector<PathResult> pending_errors_;
  std::vector<std::vector<ParamRead>> pending_error_reads_;
  uint64_t fresh_ = 0;
};

Executor::Executor(z3::context& ctx, const llvm::Module& module, Options options)
    : impl_(std::make_unique<Impl>(ctx, module, options, stats_)) {}
Executor::~Executor() = default;

Result<RunResult> Executor::Run(const std::string& function, const std::vector<Arg>& args) {
  Result<RunResult> r = impl_->Run(function, args);
  if (!r.ok()) return r;
  for (PathResult& e : impl_->TakeErrors()) {
    ++stats_.paths;
    r->paths.push_back(std::move(e));
  }
  r->stats = stats_;
  return r;
}

std::optional<z3::model> Executor::Satisfy(const z3::expr& condition) {
  return impl_->Satisfy(condition);
}

}  // namespace llms::symex
