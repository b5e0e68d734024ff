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

#include <arpa/inet.h>
#include <strings.h>
#include <sys/resource.h>

#include <cctype>
#include <cstring>

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

Arg Arg::MixedBuffer(std::string name, std::vector<uint8_t> bytes, std::vector<size_t> symbolic,
                     bool writable) {
  Arg a = ConcreteBuffer(std::move(name), std::move(bytes), writable);
  a.symbolic = std::move(symbolic);
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

// The longest length a memory builtin (memcpy, malloc, ...) is run with: objects are vectors of
// byte terms, and offsets 32 bits.
constexpr uint64_t kMaxLength = uint64_t{1} << 24;

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
  z3::expr start, end;  // signed positions relative to the parameter's pointer, 32 bits
};

struct State {
  std::vector<Frame> stack;
  Memory memory;
  std::vector<z3::expr> pc;
  bool summary = false;                      // building a summary
  std::map<uint32_t, size_t> param_objects;  // summary: array object -> parameter index
  std::vector<ParamRead> reads;              // summary: reads of parameter arrays
  // A model of pc from an earlier solver call, while it still satisfies pc: a condition it
  // satisfies is feasible without asking the solver again.
  mutable std::optional<z3::model> witness;
  // Conditions (by AST id, each kept alive so its id is not reused) the solver found infeasible
  // on this path: the path condition only grows, so they stay infeasible, and code that tests
  // the same condition again (a name compared twice) needs no second solver call.
  mutable std::unordered_map<unsigned, z3::expr> infeasible;
  // Terms (by AST id, kept alive) with one value on this path, and the value.
  mutable std::unordered_map<unsigned, std::pair<z3::expr, uint64_t>> single;
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
  const std::string fn = inst.getParent() && inst.getFunction()
                             ? inst.getFunction()->getName().str()
                             : std::string("a constant expression");
  return fmt::format("{}: {}", fn, text.substr(first == std::string::npos ? 0 : first));
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

  Result<RunResult> Run(const std::string& name, const std::vector<Arg>& args,
                        const Memory* start) {
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
    State s{{}, start ? *start : *base_memory_, {}, false, {}, {}, std::nullopt, {}, {}};
    Frame f;
    f.fn = fn;
    size_t i = 0;
    for (const llvm::Argument& formal : fn->args()) {
      const Arg& a = args[i++];
      const unsigned bits = BitsOf(formal.getType());
      if (a.kind == Arg::Kind::kScalar) {
        if (!formal.getType()->isIntegerTy() && !(formal.getType()->isPointerTy() && a.value)) {
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
        for (size_t at : a.symbolic) {
          if (at >= a.size) {
            return Status::Error(
                fmt::format("argument {}: symbolic byte {} past its {} bytes", i, at, a.size));
          }
          s.memory.Store(obj, ctx_.bv_val(at, 32),
                         ctx_.bv_const(fmt::format("{}[{}]", a.name, at).c_str(), 8));
        }
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
    if (s.witness && s.witness->eval(e, true).is_true()) {
      ++stats_.witness_hits;
      return true;
    }
    if (s.infeasible.count(e.id())) {
      ++stats_.infeasible_hits;
      return false;
    }
    solver_.push();
    for (const z3::expr& c : s.pc) solver_.add(c);
    solver_.add(e);
    const z3::check_result r = Check();
    if (r == z3::sat) s.witness = solver_.get_model();  // satisfies pc (and e)
    solver_.pop();
    if (r == z3::unknown) throw PathStop{PathEnd::kUndecided, "the solver gave up (timeout)"};
    if (r == z3::unsat) s.infeasible.emplace(e.id(), e);
    return r == z3::sat;
  }
  z3::expr Condition(const State& s) const {
    z3::expr_vector v(ctx_);
    for (const z3::expr& c : s.pc) v.push_back(c);
    return v.empty() ? ctx_.bool_val(true) : z3::mk_and(v).simplify();
  }
  static void Assume(State& s, const z3::expr& c) {
    const z3::expr e = c.simplify();
    if (e.is_true()) return;
    s.pc.push_back(e);
    if (s.witness && !s.witness->eval(e, true).is_true()) s.witness.reset();
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
      m.Writable(id).global = true;
      object_of_[&g] = id;
    }
    for (const char* table : {"__ctype_b_loc", "__ctype_tolower_loc", "__ctype_toupper_loc"}) {
      ctype_tables_[table] = MakeCtypeTable(m, table);
    }
    for (const llvm::GlobalVariable& g : module_.globals()) {
      if (!g.hasInitializer()) continue;  // external: unknown contents (symbolic)
      std::vector<z3::expr> bytes(dl_.getTypeAllocSize(g.getValueType()), ctx_.bv_val(0, 8));
      Status st = Status::Ok();
      try {
        st = ConstantBytes(g.getInitializer(), 0, bytes);
      } catch (const z3::exception& e) {
        st = Status::Error(e.msg());
      }
      if (!st.ok()) {
        base_memory_.reset();  // the next run tries again, and fails the same way
        return st.WithContext("global @" + g.getName().str());
      }
      m.Writable(object_of_.at(&g)).bytes = std::move(bytes);
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
    // A summary would give every call the same "fresh" value.
    if (summarising_ > 0) throw NotSummarisable{fmt::format("it makes a fresh value ({})", what)};
    return ctx_.bv_const(fmt::format("{}!{}", what, fresh_++).c_str(), bits);
  }

  z3::expr ConstantValue(const llvm::Constant* c) {
    if (const auto* ci = llvm::dyn_cast<llvm::ConstantInt>(c)) {
      const llvm::APInt& v = ci->getValue();
      if (v.getBitWidth() <= 64) return ctx_.bv_val(v.getZExtValue(), v.getBitWidth());
      return ctx_.bv_val(llvm::toString(v, 10, false).c_str(), v.getBitWidth());
    }
    if (llvm::isa<llvm::ConstantPointerNull>(c)) return ctx_.bv_val(0, 64);
    if (const auto* fp = llvm::dyn_cast<llvm::ConstantFP>(c)) {
      // Bits only (floating-point arithmetic is not modelled; its data may still be copied).
      const llvm::APInt bits = fp->getValueAPF().bitcastToAPInt();
      if (bits.getBitWidth() <= 64) return ctx_.bv_val(bits.getZExtValue(), bits.getBitWidth());
    }
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
  // The instruction computed natively when its operands are concrete (at most 64 bits): most of
  // a run on concrete data (a zone being loaded) takes this path instead of building terms.
  std::optional<z3::expr> Concrete(Frame& f, const llvm::Instruction& inst) {
    using llvm::Instruction;
    const unsigned op = inst.getOpcode();
    auto num = [&](const llvm::Value* v, uint64_t* out, unsigned* bits) {
      const z3::expr e = Eval(f, v);
      *bits = e.get_sort().bv_size();
      return *bits <= 64 && e.is_numeral_u64(*out);
    };
    auto mask = [](uint64_t v, unsigned bits) {
      return bits >= 64 ? v : v & ((uint64_t{1} << bits) - 1);
    };
    auto sext = [](uint64_t v, unsigned bits) {
      return bits >= 64 ? static_cast<int64_t>(v)
                        : static_cast<int64_t>(v << (64 - bits)) >> (64 - bits);
    };
    uint64_t a = 0, b = 0;
    unsigned wa = 0, wb = 0;
    if (inst.isBinaryOp() || op == Instruction::ICmp) {
      if (!num(inst.getOperand(0), &a, &wa) || !num(inst.getOperand(1), &b, &wb) || wa != wb) {
        return std::nullopt;
      }
      const unsigned w = wa;
      uint64_t r = 0;
      const int64_t sa = sext(a, w), sb = sext(b, w);
      if (op == Instruction::ICmp) {
        bool c = false;
        switch (llvm::cast<llvm::ICmpInst>(inst).getPredicate()) {
          case llvm::CmpInst::ICMP_EQ:
            c = a == b;
            break;
          case llvm::CmpInst::ICMP_NE:
            c = a != b;
            break;
          case llvm::CmpInst::ICMP_UGT:
            c = a > b;
            break;
          case llvm::CmpInst::ICMP_UGE:
            c = a >= b;
            break;
          case llvm::CmpInst::ICMP_ULT:
            c = a < b;
            break;
          case llvm::CmpInst::ICMP_ULE:
            c = a <= b;
            break;
          case llvm::CmpInst::ICMP_SGT:
            c = sa > sb;
            break;
          case llvm::CmpInst::ICMP_SGE:
            c = sa >= sb;
            break;
          case llvm::CmpInst::ICMP_SLT:
            c = sa < sb;
            break;
          case llvm::CmpInst::ICMP_SLE:
            c = sa <= sb;
            break;
          default:
            return std::nullopt;
        }
        return ctx_.bv_val(c ? 1 : 0, 1);
      }
      switch (op) {
        case Instruction::Add:
          r = a + b;
          break;
        case Instruction::Sub:
          r = a - b;
          break;
        case Instruction::Mul:
          r = a * b;
          break;
        case Instruction::And:
          r = a & b;
          break;
        case Instruction::Or:
          r = a | b;
          break;
        case Instruction::Xor:
          r = a ^ b;
          break;
        case Instruction::Shl:
          if (b >= w) return std::nullopt;
          r = a << b;
          break;
        case Instruction::LShr:
          if (b >= w) return std::nullopt;
          r = a >> b;
          break;
        case Instruction::AShr:
          if (b >= w) return std::nullopt;
          r = static_cast<uint64_t>(sa >> b);
          break;
        case Instruction::UDiv:
          if (b == 0) return std::nullopt;
          r = a / b;
          break;
        case Instruction::URem:
          if (b == 0) return std::nullopt;
          r = a % b;
          break;
        case Instruction::SDiv:
          if (b == 0 || sb == -1) return std::nullopt;
          r = static_cast<uint64_t>(sa / sb);
          break;
        case Instruction::SRem:
          if (b == 0 || sb == -1) return std::nullopt;
          r = static_cast<uint64_t>(sa % sb);
          break;
        default:
          return std::nullopt;
      }
      return ctx_.bv_val(mask(r, w), w);
    }
    switch (op) {
      case Instruction::ZExt:
      case Instruction::SExt:
      case Instruction::Trunc:
      case Instruction::PtrToInt:
      case Instruction::IntToPtr:
      case Instruction::BitCast: {
        const unsigned to = BitsOf(inst.getType());
        if (!num(inst.getOperand(0), &a, &wa) || to == 0 || to > 64) return std::nullopt;
        const uint64_t r = op == Instruction::SExt ? static_cast<uint64_t>(sext(a, wa)) : a;
        return ctx_.bv_val(mask(r, to), to);
      }
      case Instruction::Select: {
        if (!num(inst.getOperand(0), &a, &wa)) return std::nullopt;
        return Eval(f, inst.getOperand(a ? 1 : 2));
      }
      case Instruction::GetElementPtr: {
        const auto& gep = llvm::cast<llvm::GetElementPtrInst>(inst);
        if (!num(gep.getPointerOperand(), &a, &wa)) return std::nullopt;
        uint64_t p = a;
        for (auto it = llvm::gep_type_begin(gep); it != llvm::gep_type_end(gep); ++it) {
          if (llvm::StructType* st = it.getStructTypeOrNull()) {
            const auto* idx = llvm::cast<llvm::ConstantInt>(it.getOperand());
            p += dl_.getStructLayout(st)->getElementOffset(idx->getZExtValue());
          } else {
            if (!num(it.getOperand(), &b, &wb)) return std::nullopt;
            p += static_cast<uint64_t>(sext(b, wb)) * dl_.getTypeAllocSize(it.getIndexedType());
          }
        }
        return ctx_.bv_val(p, 64);
      }
      default:
        return std::nullopt;
    }
  }

  z3::expr Pure(Frame& f, const llvm::Instruction& inst) {
    using llvm::Instruction;
    if (auto v = Concrete(f, inst)) return *v;
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
          bool done = false;
          try {
            done = Step(s, work, returned);
          } catch (const z3::exception& e) {
            // A combination of widths the executor does not model: this path is undecided.
            throw PathStop{PathEnd::kUndecided, fmt::format("not modelled ({}): {}", e.msg(),
                                                            Where(*s.stack.back().ip))};
          }
          if (done) {
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
        // Undecided while summarising: likely the abstraction (memory the caller will pass is
        // unknown here), not the code; the call runs inline instead, on the caller's objects.
        if (s.summary && stop.end == PathEnd::kUndecided) throw NotSummarisable{stop.message};
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

  // The values `term` may take on the path `s`, up to `limit` + 1 of them (more than `limit`
  // means there are more). The solver giving up ends the path undecided.
  std::vector<uint64_t> Values(const State& s, const z3::expr& term, int limit, const char* what) {
    std::vector<uint64_t> values;
    if (auto it = s.single.find(term.id()); it != s.single.end()) {
      ++stats_.single_value_hits;
      return {it->second.second};
    }
    solver_.push();
    for (const z3::expr& c : s.pc) solver_.add(c);
    // The path's model gives the first value without a solver call.
    uint64_t first = 0;
    if (s.witness && s.witness->eval(term, true).is_numeral_u64(first)) {
      ++stats_.witness_hits;
      values.push_back(first);
      solver_.add(term != ctx_.bv_val(first, term.get_sort().bv_size()));
    }
    bool exhausted = false;  // the solver said there are no more values
    while (static_cast<int>(values.size()) <= limit) {
      const z3::check_result r = Check();
      if (r == z3::unknown) {
        solver_.pop();
        throw PathStop{PathEnd::kUndecided, fmt::format("the solver gave up on {}", what)};
      }
      if (r != z3::sat) {
        exhausted = true;
        break;
      }
      uint64_t v = 0;
      solver_.get_model().eval(term, true).is_numeral_u64(v);
      values.push_back(v);
      solver_.add(term != ctx_.bv_val(v, term.get_sort().bv_size()));
    }
    solver_.pop();
    // One value stays one value: the path condition only grows.
    if (values.size() == 1 && exhausted) {
      s.single.emplace(term.id(), std::make_pair(term, values[0]));
    }
    return values;
  }

  // `term` made concrete on `s`: its one value (assumed), or, when it may take several (at most
  // `limit`), one state per value on the work list (Replaced); nothing past `limit` values.
  std::optional<uint64_t> Concretize(State& s, const z3::expr& term, int limit, const char* what,
                                     std::vector<State>& work) {
    const std::vector<uint64_t> values = Values(s, term, limit, what);
    if (static_cast<int>(values.size()) > limit) return std::nullopt;
    const unsigned bits = term.get_sort().bv_size();
    if (values.size() != 1) {
      for (uint64_t v : values) Fork(s, term == ctx_.bv_val(v, bits), work);
      throw Replaced{};
    }
    Assume(s, term == ctx_.bv_val(values.front(), bits));
    return values.front();
  }

  // A copy of `s` with `c` assumed, on the work list.
  void Fork(const State& s, const z3::expr& c, std::vector<State>& work) {
    State copy = s;
    Assume(copy, c);
    work.push_back(std::move(copy));
  }

  // Records a path that ended beside the current one (an error found at an access, a summary
  // case that fails): Executor::Run moves these into the run's results.
  void RecordEnd(const State& s, PathEnd end, std::string message) {
    pending_errors_.push_back({end, Condition(s), std::nullopt, std::move(message),
                               s.summary ? nullptr : std::make_shared<const Memory>(s.memory)});
    if (s.summary) pending_error_reads_.push_back(s.reads);
  }

  // Ends a path (`end`: an error, or undecided) where `c` may hold, as a separate path; `s` goes
  // on where it does not (and is dropped when it always does). `message()` is only called for
  // such a path: naming the instruction prints it, which costs more than the check.
  template <typename MessageFn>
  void EndIf(State& s, const z3::expr& c, PathEnd end, MessageFn&& message) {
    if (Feasible(s, c)) {
      State bad = s;
      Assume(bad, c);
      RecordEnd(bad, end, message());
      if (!Feasible(s, !c)) throw Replaced{};
    }
    Assume(s, !c);
  }
  template <typename MessageFn>
  void ErrorIf(State& s, const z3::expr& c, MessageFn&& message) {
    EndIf(s, c, PathEnd::kError, std::forward<MessageFn>(message));
  }

  // How an access at a symbolic offset goes on.
  enum class Offsets {
    kFork,    // one state per position (writes, words read: what follows uses the position)
    kSelect,  // one value selected from the object's bytes (a byte read: a table lookup)
  };

  // The object and offset a pointer names, with `n` bytes in bounds (paths where they are not
  // end in errors; a pointer that may name several objects forks; a symbolic offset forks as
  // `offsets` says).
  std::pair<uint32_t, z3::expr> Resolve(State& s, const z3::expr& pointer, unsigned n, bool write,
                                        const llvm::Instruction& inst, std::vector<State>& work,
                                        Offsets offsets = Offsets::kFork) {
    // A concrete pointer to a byte object, in bounds: nothing to decide.
    if (uint64_t bits = 0; pointer.is_numeral_u64(bits)) {
      const uint32_t obj = static_cast<uint32_t>(bits >> 32), off = static_cast<uint32_t>(bits);
      if (s.memory.Valid(obj) && !function_objects_.count(obj)) {
        const MemObject& o = s.memory.object(obj);
        if (!o.array && off + uint64_t{n} <= o.bytes.size() && (!write || o.writable) &&
            !(s.summary && o.global && o.writable)) {
          return {obj, ctx_.bv_val(off, 32)};
        }
      }
    }
    const z3::expr tag = PointerObject(pointer);
    uint64_t id = 0;
    if (!tag.is_numeral_u64(id) && s.summary) {
      // A pointer read from what the caller passed: the summary would need the caller's objects.
      throw NotSummarisable{"it follows a pointer found in its arguments' memory"};
    }
    if (!tag.is_numeral_u64(id)) {
      // Enumerate the objects it may name; each becomes a state that re-runs this instruction.
      const auto target =
          Concretize(s, tag, options_.max_pointer_targets, "resolving a pointer", work);
      if (!target) {
        throw PathStop{PathEnd::kUndecided,
                       "a pointer that may name too many objects: " + Where(inst)};
      }
      id = *target;
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
      const z3::expr at = (offset - ctx_.bv_val(Memory::kArrayBase, 32)).simplify();
      s.reads.push_back({s.param_objects.at(obj), at, (at + ctx_.bv_val(n, 32)).simplify()});
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
    ErrorIf(s, !in_bounds, [&] {
      return fmt::format("out-of-bounds {} of {} ({} bytes): {}", write ? "write" : "read", o.name,
                         size, Where(inst));
    });
    // A write or a word read at a symbolic offset (a table of descriptors indexed by the input,
    // a trie's twigs indexed by a popcount): one state per position it may take, each re-running
    // this access there, rather than a write to every byte or a pointer that may name anything
    // the object holds. Beyond the bound, the access at the symbolic offset after all.
    if (offsets == Offsets::kFork && !offset.is_numeral()) {
      if (auto at = Concretize(s, offset, options_.max_offset_values, "an offset", work)) {
        return {obj, ctx_.bv_val(*at, 32)};
      }
    }
    return {obj, offset};
  }

  // A summary gives each pointer parameter an address of its own: comparing one, or taking its
  // address as a number, would decide what the caller's real addresses decide.
  void RefuseParameterAddresses(State& s, const llvm::Instruction& inst) {
    auto param = [&](const llvm::Value* v) -> std::optional<uint64_t> {
      if (!v->getType()->isPointerTy()) return std::nullopt;
      uint64_t tag = 0;
      const z3::expr p = Eval(s.stack.back(), v);
      if (!PointerObject(p).is_numeral_u64(tag)) return std::nullopt;
      return s.param_objects.count(static_cast<uint32_t>(tag)) ? std::optional<uint64_t>(tag)
                                                               : std::nullopt;
    };
    if (inst.getOpcode() == llvm::Instruction::PtrToInt && param(inst.getOperand(0))) {
      throw NotSummarisable{"it uses a parameter's address as a number"};
    }
    if (inst.getOpcode() == llvm::Instruction::ICmp) {
      const auto a = param(inst.getOperand(0)), b = param(inst.getOperand(1));
      if ((a || b) && a != b) throw NotSummarisable{"it compares a parameter's address"};
    }
  }

  // Division by zero (and INT_MIN / -1) is undefined behaviour: an error where it may happen.
  void CheckDivisor(State& s, const llvm::Instruction& inst) {
    const unsigned op = inst.getOpcode();
    using llvm::Instruction;
    if (op != Instruction::UDiv && op != Instruction::SDiv && op != Instruction::URem &&
        op != Instruction::SRem) {
      return;
    }
    Frame& f = s.stack.back();
    const z3::expr b = Eval(f, inst.getOperand(1));
    const unsigned w = b.get_sort().bv_size();
    z3::expr bad = b == ctx_.bv_val(0, w);
    if (op == Instruction::SDiv || op == Instruction::SRem) {
      const z3::expr a = Eval(f, inst.getOperand(0));
      bad =
          bad || (a == ctx_.bv_val(uint64_t{1} << (w - 1), w) && b == ctx_.bv_val(~uint64_t{0}, w));
    }
    if (bad.simplify().is_false()) return;
    ErrorIf(s, bad,
            [&] { return "division by zero or overflow (undefined behaviour): " + Where(inst); });
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
        // Stack slots start as zeros (reading one before writing it is not reported).
        std::vector<z3::expr> zeros(size, ctx_.bv_val(0, 8));
        bytes = std::move(zeros);
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
        // A byte or a half-word read at a symbolic offset is a selection (a character table
        // indexed by a name's byte would otherwise fork 256 ways per byte); wider reads, which
        // hold pointers (as pointers or as integers), fork.
        const Offsets how =
            ld.getType()->isPtrOrPtrVectorTy() || n >= 4 ? Offsets::kFork : Offsets::kSelect;
        auto [obj, off] = Resolve(s, Eval(f, ld.getPointerOperand()), n, false, inst, work, how);
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
        if (s.summary) RefuseParameterAddresses(s, inst);
        CheckDivisor(s, inst);
        z3::expr v = Pure(f, inst);
        if (!v.is_numeral()) v = v.simplify();
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
    if (args.size() < callee->arg_size() ||
        (args.size() != callee->arg_size() && !callee->isVarArg())) {
      throw PathStop{PathEnd::kUndecided,
                     "a call with the wrong number of arguments: " + Where(call)};
    }
    // A call through a function pointer of another type (C code casts them) passes each argument
    // as the machine would: truncated or zero-extended to the parameter's width.
    for (const llvm::Argument& formal : callee->args()) {
      z3::expr& a = args[formal.getArgNo()];
      const unsigned want = BitsOf(formal.getType()), have = a.get_sort().bv_size();
      if (want && want < have) a = a.extract(want - 1, 0);
      if (want > have) a = z3::zext(a, want - have);
    }
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

  // The length of a memory builtin, concrete: a symbolic one (a name's length copied into a
  // packet) forks one path per value it may take, each re-running the call with it; more values
  // than Options::max_offset_values end the path undecided.
  uint64_t ConcreteLength(State& s, Frame& f, const llvm::Value* v, const llvm::CallInst& call,
                          std::vector<State>& work) {
    uint64_t n = 0;
    const z3::expr len = Eval(f, v).simplify();
    auto past = [&] {
      return fmt::format(
          "a memory builtin with a length past {} bytes, more than the executor models: {}",
          kMaxLength, Where(call));
    };
    if (len.is_numeral_u64(n)) {
      if (n > kMaxLength) throw PathStop{PathEnd::kUndecided, past()};
      return n;
    }
    if (s.summary) {
      // A length from the parameters: each caller's own; the callee runs inline instead.
      throw PathStop{PathEnd::kUndecided,
                     "a memory builtin with a symbolic length: " + Where(call)};
    }
    // A huge length (an underflow: malloc(len - 1) at len 0) ends its own path undecided.
    const unsigned width = len.get_sort().bv_size();
    if (width > 24)
      EndIf(s, z3::ugt(len, ctx_.bv_val(kMaxLength, width)), PathEnd::kUndecided, past);
    if (auto value = Concretize(s, len, options_.max_offset_values, "a length", work)) {
      return *value;
    }
    throw PathStop{PathEnd::kUndecided,
                   "a memory builtin with a length of too many values: " + Where(call)};
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
      case llvm::Intrinsic::prefetch:
      case llvm::Intrinsic::stackrestore:
      case llvm::Intrinsic::experimental_noalias_scope_decl:
      case llvm::Intrinsic::invariant_start:
      case llvm::Intrinsic::invariant_end:
        break;
      case llvm::Intrinsic::stacksave:
        SetResult(s, call, ctx_.bv_val(0, 64));  // stack slots are objects; nothing to restore
        break;
      case llvm::Intrinsic::bswap: {
        const z3::expr a = arg(0);
        const unsigned n = a.get_sort().bv_size() / 8;
        z3::expr v = a.extract(7, 0);
        for (unsigned k = 1; k < n; ++k) v = z3::concat(v, a.extract(8 * k + 7, 8 * k));
        SetResult(s, call, v);
        break;
      }
      case llvm::Intrinsic::ctpop: {
        const z3::expr a = arg(0);
        const unsigned w = a.get_sort().bv_size();
        z3::expr v = ctx_.bv_val(0, w);
        for (unsigned k = 0; k < w; ++k) v = v + z3::zext(a.extract(k, k), w - 1);
        SetResult(s, call, v);
        break;
      }
      case llvm::Intrinsic::ctlz:
      case llvm::Intrinsic::cttz: {
        const z3::expr a = arg(0);
        const unsigned w = a.get_sort().bv_size();
        const bool lead = callee.getIntrinsicID() == llvm::Intrinsic::ctlz;
        z3::expr v = ctx_.bv_val(w, w);
        // From the far end inwards, so the set bit nearest the counted end decides.
        for (unsigned k = 0; k < w; ++k) {
          const unsigned bit = lead ? k : w - 1 - k;
          v = z3::ite(a.extract(bit, bit) == ctx_.bv_val(1, 1),
                      ctx_.bv_val(lead ? w - 1 - bit : bit, w), v);
        }
        SetResult(s, call, v);
        break;
      }
      case llvm::Intrinsic::fshl:
      case llvm::Intrinsic::fshr: {
        const z3::expr a = arg(0), b = arg(1);
        const unsigned w = a.get_sort().bv_size();
        const z3::expr c = z3::urem(arg(2), ctx_.bv_val(w, w));
        const z3::expr both = z3::concat(a, b);
        const z3::expr c2 = z3::zext(c, w);
        if (callee.getIntrinsicID() == llvm::Intrinsic::fshl) {
          SetResult(s, call, z3::shl(both, c2).extract(2 * w - 1, w));
        } else {
          SetResult(s, call, z3::lshr(both, c2).extract(w - 1, 0));
        }
        break;
      }
      case llvm::Intrinsic::uadd_with_overflow:
      case llvm::Intrinsic::sadd_with_overflow:
      case llvm::Intrinsic::usub_with_overflow:
      case llvm::Intrinsic::ssub_with_overflow:
      case llvm::Intrinsic::umul_with_overflow: {
        const z3::expr a = arg(0), b = arg(1);
        const unsigned w = a.get_sort().bv_size();
        z3::expr r = a + b, o = ctx_.bool_val(false);
        switch (callee.getIntrinsicID()) {
          case llvm::Intrinsic::uadd_with_overflow:
            o = z3::ult(r, a);
            break;
          case llvm::Intrinsic::sadd_with_overflow:
            o = z3::sext(a, 1) + z3::sext(b, 1) != z3::sext(r, 1);
            break;
          case llvm::Intrinsic::usub_with_overflow:
            r = a - b;
            o = z3::ult(a, b);
            break;
          case llvm::Intrinsic::ssub_with_overflow:
            r = a - b;
            o = z3::sext(a, 1) - z3::sext(b, 1) != z3::sext(r, 1);
            break;
          default:
            r = a * b;
            o = z3::zext(a, w) * z3::zext(b, w) != z3::zext(r, w);
            break;
        }
        llvm::Type* rt = call.getType();
        z3::expr result = ctx_.bv_val(0, BitsOf(rt));
        auto [o0, t0] = Member(rt, {0});
        auto [o1, t1] = Member(rt, {1});
        result = Replace(result, o0, ToMemory(r, t0));
        result =
            Replace(result, o1, ToMemory(z3::ite(o, ctx_.bv_val(1, 1), ctx_.bv_val(0, 1)), t1));
        SetResult(s, call, result);
        break;
      }
      case llvm::Intrinsic::memcpy:
      case llvm::Intrinsic::memmove:
        Copy(s, arg(0), arg(1), ConcreteLength(s, f, call.getArgOperand(2), call, work), call,
             work);
        break;
      case llvm::Intrinsic::memset: {
        const uint64_t n = ConcreteLength(s, f, call.getArgOperand(2), call, work);
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

  // The bytes of the C string at `p` up to its NUL or `max` bytes, whichever comes first, when
  // they are concrete (nothing otherwise: a string function on symbolic bytes is not modelled).
  std::optional<std::string> CString(State& s, const z3::expr& p, const llvm::CallInst& call,
                                     std::vector<State>& work, uint64_t max = UINT64_MAX) {
    auto [obj, off] = Resolve(s, p, 1, false, call, work);
    uint64_t at = 0;
    const MemObject& o = s.memory.object(obj);
    if (o.array) throw NotSummarisable{"it reads a string it was given"};
    if (!off.is_numeral_u64(at)) return std::nullopt;
    std::string out;
    for (uint64_t i = at; i < o.bytes.size(); ++i) {
      if (out.size() == max) return out;
      uint64_t b = 0;
      if (!o.bytes[i].simplify().is_numeral_u64(b)) return std::nullopt;
      if (b == 0) return out;
      out += static_cast<char>(b);
    }
    if (out.size() == max) return out;
    throw PathStop{PathEnd::kError, "a string without its NUL: " + Where(call)};
  }
  std::string CStringOrStop(State& s, const z3::expr& p, const llvm::CallInst& call,
                            std::vector<State>& work, uint64_t max = UINT64_MAX) {
    auto str = CString(s, p, call, work, max);
    if (!str)
      throw PathStop{PathEnd::kUndecided, "a string function on symbolic bytes: " + Where(call)};
    return *str;
  }
  z3::expr NewString(State& s, const std::string& str) {
    std::vector<uint8_t> bytes(str.begin(), str.end());
    bytes.push_back(0);
    return s.memory.Pointer(
        s.memory.AllocateConcrete(fmt::format("string#{}", fresh_++), bytes, true), 0);
  }
  // printf-style formatting with concrete arguments (`first` is the first variadic argument).
  std::string Format(State& s, const llvm::CallInst& call, const std::string& format,
                     unsigned first, std::vector<State>& work) {
    Frame& f = s.stack.back();
    std::string out;
    unsigned next = first;
    for (size_t i = 0; i < format.size(); ++i) {
      if (format[i] != '%') {
        out += format[i];
        continue;
      }
      size_t j = i + 1;
      while (j < format.size() && std::strchr("-+ #0123456789.hlzjt", format[j])) ++j;
      if (j >= format.size()) break;
      const std::string spec = format.substr(i, j - i + 1);
      const char conv = format[j];
      i = j;
      if (conv == '%') {
        out += '%';
        continue;
      }
      if (spec.find('*') != std::string::npos || next >= call.arg_size()) {
        throw PathStop{PathEnd::kUndecided, "a format not modelled: " + Where(call)};
      }
      const z3::expr a = Eval(f, call.getArgOperand(next++)).simplify();
      char buf[512];
      if (conv == 's') {
        const std::string str = CStringOrStop(s, a, call, work);
        std::snprintf(buf, sizeof buf, spec.c_str(), str.c_str());
      } else {
        uint64_t v = 0;
        if (!a.is_numeral_u64(v)) {
          throw PathStop{PathEnd::kUndecided, "a formatted symbolic value: " + Where(call)};
        }
        std::string plain = spec;  // the length modifiers dropped: the value goes as 64 bits
        plain.erase(std::remove_if(plain.begin() + 1, plain.end() - 1,
                                   [](char c) { return std::strchr("hlzjt", c) != nullptr; }),
                    plain.end() - 1);
        const unsigned bits = a.get_sort().bv_size();
        const int64_t sv = bits >= 64 ? static_cast<int64_t>(v)
                                      : static_cast<int64_t>(v << (64 - bits)) >> (64 - bits);
        const std::string ll = plain.substr(0, plain.size() - 1) + "ll" + plain.back();
        if (std::strchr("di", conv)) {
          std::snprintf(buf, sizeof buf, ll.c_str(), static_cast<long long>(sv));
        } else if (std::strchr("uxXo", conv)) {
          std::snprintf(buf, sizeof buf, ll.c_str(), static_cast<unsigned long long>(v));
        } else if (conv == 'c') {
          std::snprintf(buf, sizeof buf, plain.c_str(), static_cast<int>(v));
        } else {
          throw PathStop{PathEnd::kUndecided, "a format conversion not modelled: " + Where(call)};
        }
      }
      out += buf;
    }
    return out;
  }

  // glibc's ctype tables (<ctype.h> macros index them), copied from this process's own C locale
  // into the base memory: the object holding the table's pointer, which the
  // __ctype_*_loc functions return.
  uint32_t MakeCtypeTable(Memory& m, const std::string& which) {
    std::vector<uint8_t> bytes;
    uint64_t base = 0;
    if (which == "__ctype_b_loc") {
      const unsigned short* t = *__ctype_b_loc() - 128;
      for (int i = 0; i < 384; ++i) {
        bytes.push_back(static_cast<uint8_t>(t[i]));
        bytes.push_back(static_cast<uint8_t>(t[i] >> 8));
      }
      base = 128 * 2;
    } else {
      const int32_t* t =
          (which == "__ctype_tolower_loc" ? *__ctype_tolower_loc() : *__ctype_toupper_loc()) - 128;
      for (int i = 0; i < 384; ++i) {
        for (int k = 0; k < 4; ++k) {
          bytes.push_back(static_cast<uint8_t>(static_cast<uint32_t>(t[i]) >> (8 * k)));
        }
      }
      base = 128 * 4;
    }
    const uint32_t table = m.AllocateConcrete(which + ".table", bytes, false);
    std::vector<z3::expr> holder;
    const z3::expr p = m.Pointer(table, base);
    for (unsigned k = 0; k < 8; ++k) holder.push_back(p.extract(8 * k + 7, 8 * k).simplify());
    return m.Allocate(which, std::move(holder), false);
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
      uint64_t n = ConcreteLength(s, f, call.getArgOperand(0), call, work);
      if (name == "calloc") n *= ConcreteLength(s, f, call.getArgOperand(1), call, work);
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
      Copy(s, arg(0), arg(1), ConcreteLength(s, f, call.getArgOperand(2), call, work), call, work);
      SetResult(s, call, arg(0));
    } else if (name == "memset") {
      const uint64_t n = ConcreteLength(s, f, call.getArgOperand(2), call, work);
      if (n > 0) {
        auto [obj, off] = Resolve(s, arg(0), static_cast<unsigned>(n), true, call, work);
        const z3::expr byte = arg(1).extract(7, 0);
        for (uint64_t i = 0; i < n; ++i) s.memory.Store(obj, off + ctx_.bv_val(i, 32), byte);
      }
      SetResult(s, call, arg(0));
    } else if (name == "snprintf" || name == "sprintf") {
      const bool bounded = name == "snprintf";
      const std::string text = Format(s, call, CStringOrStop(s, arg(bounded ? 2 : 1), call, work),
                                      bounded ? 3 : 2, work);
      uint64_t cap = text.size() + 1;
      if (bounded) cap = ConcreteLength(s, f, call.getArgOperand(1), call, work);
      const uint64_t n = std::min<uint64_t>(cap, text.size() + 1);
      if (n > 0) {
        auto [obj, off] = Resolve(s, arg(0), static_cast<unsigned>(n), true, call, work);
        for (uint64_t i = 0; i + 1 < n; ++i) {
          s.memory.Store(obj, off + ctx_.bv_val(i, 32),
                         ctx_.bv_val(static_cast<uint8_t>(text[i]), 8));
        }
        s.memory.Store(obj, off + ctx_.bv_val(n - 1, 32), ctx_.bv_val(0, 8));
      }
      SetResult(s, call, ctx_.bv_val(text.size(), 32));
    } else if (name == "mmap") {
      // Anonymous memory only (a memory pool's blocks): zeroed, as the kernel gives it.
      const uint64_t n = ConcreteLength(s, f, call.getArgOperand(1), call, work);
      uint64_t flags = 0;
      if (!arg(3).simplify().is_numeral_u64(flags) || !(flags & 0x20 /* MAP_ANONYMOUS */)) {
        throw PathStop{PathEnd::kUndecided, "mmap of a file: " + Where(call)};
      }
      std::vector<z3::expr> bytes(n, ctx_.bv_val(0, 8));
      SetResult(
          s, call,
          s.memory.Pointer(
              s.memory.Allocate(fmt::format("mmap#{}", fresh_++), std::move(bytes), true), 0));
    } else if (name == "munmap") {
      SetResult(s, call, ctx_.bv_val(0, 32));
    } else if (name == "inet_pton") {
      uint64_t family = 0;
      if (!arg(0).simplify().is_numeral_u64(family)) {
        throw PathStop{PathEnd::kUndecided, "inet_pton of a symbolic family: " + Where(call)};
      }
      const std::string text = CStringOrStop(s, arg(1), call, work);
      unsigned char buf[16];
      const int r = ::inet_pton(static_cast<int>(family), text.c_str(), buf);
      if (r == 1) {
        const unsigned n = family == AF_INET6 ? 16 : 4;
        auto [obj, off] = Resolve(s, arg(2), n, true, call, work);
        for (unsigned i = 0; i < n; ++i)
          s.memory.Store(obj, off + ctx_.bv_val(i, 32), ctx_.bv_val(buf[i], 8));
      }
      SetResult(s, call, ctx_.bv_val(static_cast<uint64_t>(static_cast<int64_t>(r)), 32));
    } else if (name == "strlen") {
      SetResult(s, call, ctx_.bv_val(CStringOrStop(s, arg(0), call, work).size(), 64));
    } else if (name == "strnlen") {
      const uint64_t max = ConcreteLength(s, f, call.getArgOperand(1), call, work);
      SetResult(s, call, ctx_.bv_val(CStringOrStop(s, arg(0), call, work, max).size(), 64));
    } else if (name == "strdup") {
      SetResult(s, call, NewString(s, CStringOrStop(s, arg(0), call, work)));
    } else if (name == "strndup") {
      const uint64_t max = ConcreteLength(s, f, call.getArgOperand(1), call, work);
      SetResult(s, call, NewString(s, CStringOrStop(s, arg(0), call, work, max)));
    } else if (name == "strcmp" || name == "strcasecmp" || name == "strncmp" ||
               name == "strncasecmp") {
      const uint64_t n = name == "strncmp" || name == "strncasecmp"
                             ? ConcreteLength(s, f, call.getArgOperand(2), call, work)
                             : UINT64_MAX;
      const std::string a = CStringOrStop(s, arg(0), call, work, n),
                        b = CStringOrStop(s, arg(1), call, work, n);
      int r = (name == "strcasecmp" || name == "strncasecmp") ? ::strcasecmp(a.c_str(), b.c_str())
                                                              : ::strcmp(a.c_str(), b.c_str());
      r = r < 0 ? -1 : r > 0 ? 1 : 0;
      SetResult(s, call, ctx_.bv_val(r, 32));
    } else if (name == "strchr" || name == "strrchr") {
      const std::string str = CStringOrStop(s, arg(0), call, work);
      uint64_t c = 0;
      if (!arg(1).simplify().is_numeral_u64(c)) {
        throw PathStop{PathEnd::kUndecided, "strchr of a symbolic character: " + Where(call)};
      }
      const char ch = static_cast<char>(c);
      const size_t at = ch == 0 ? str.size() : name == "strchr" ? str.find(ch) : str.rfind(ch);
      SetResult(
          s, call,
          at == std::string::npos ? ctx_.bv_val(0, 64) : (arg(0) + ctx_.bv_val(at, 64)).simplify());
    } else if (name == "realloc") {
      const uint64_t n = ConcreteLength(s, f, call.getArgOperand(1), call, work);
      std::vector<z3::expr> bytes;
      const z3::expr old = arg(0).simplify();
      uint64_t old_bits = 1;
      if (old.is_numeral_u64(old_bits) && old_bits == 0) {
        for (uint64_t i = 0; i < n; ++i) bytes.push_back(Fresh("malloc", 8));
      } else {
        auto [obj, off] = Resolve(s, old, 1, false, call, work);
        const MemObject& o = s.memory.object(obj);
        for (uint64_t i = 0; i < n; ++i) {
          bytes.push_back(i < o.bytes.size() ? o.bytes[i] : Fresh("malloc", 8));
        }
        (void)off;
      }
      const uint32_t obj =
          s.memory.Allocate(fmt::format("heap#{}", fresh_++), std::move(bytes), true);
      SetResult(s, call, s.memory.Pointer(obj, 0));
    } else if (name == "time") {
      SetResult(s, call, ctx_.bv_val(0, 64));  // the epoch: a run does not depend on the clock
    } else if (name == "__ctype_b_loc" || name == "__ctype_tolower_loc" ||
               name == "__ctype_toupper_loc") {
      SetResult(s, call, s.memory.Pointer(ctype_tables_.at(name), 0));
    } else if (name == "tolower" || name == "toupper") {
      const z3::expr c = arg(0);
      const z3::expr lo = ctx_.bv_val(name == "tolower" ? 'A' : 'a', 32),
                     hi = ctx_.bv_val(name == "tolower" ? 'Z' : 'z', 32);
      const z3::expr shifted =
          name == "tolower" ? c + ctx_.bv_val(32, 32) : c - ctx_.bv_val(32, 32);
      SetResult(s, call, z3::ite(c >= lo && c <= hi, shifted, c));
    } else if (name == "memcmp" || name == "bcmp") {
      const uint64_t n = ConcreteLength(s, f, call.getArgOperand(2), call, work);
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
    State s{{}, *base_memory_, {}, true, {}, {}, std::nullopt, {}, {}};
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
        f.values.emplace(&formal, s.memory.Pointer(obj, Memory::kArrayBase));
      } else {
        sum.why_not = "a parameter is neither an integer nor a pointer";
        return sum;
      }
      ++i;
    }
    building_.insert(&fn);
    ++summarising_;
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
    --summarising_;
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
    std::vector<uint64_t> sizes(args.size(), 0), offsets(args.size(), 0);
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
      // The object becomes a term of all its bytes: large ones (a parser's whole state) cost more
      // to rebuild at every call than the callee costs to run inline.
      if (off > o.bytes.size() || o.bytes.size() - off > kMaxSummaryObject) return false;
      sizes[i] = o.bytes.size();
      offsets[i] = off;
      bool data = !o.writable;
      for (const z3::expr& b : o.bytes) data = data && b.is_numeral();
      if (data) {
        // The key is the data itself (object ids are reused across runs and forks).
        key += fmt::format("|{}=+{}:", i, off);
        for (const z3::expr& b : o.bytes) key += fmt::format("{:02x}", b.get_numeral_uint());
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
      bool live = true;
      for (const ParamRead& r : c.reads) {
        // Inside the caller's object: from its first byte (-offset) to its end (size - offset).
        const z3::expr first = ctx_.bv_val(-static_cast<int64_t>(offsets[r.param]), 32);
        const z3::expr last =
            ctx_.bv_val(static_cast<int64_t>(sizes[r.param] - offsets[r.param]), 32);
        const z3::expr outside = r.start < first || r.end > last;
        if (Feasible(next, outside)) {
          State bad = next;
          Assume(bad, outside);
          RecordEnd(bad, PathEnd::kError,
                    fmt::format("out-of-bounds read through argument {} of {}", r.param + 1,
                                fn.getName().str()));
          if (!Feasible(next, !outside)) {
            live = false;
            break;
          }
          Assume(next, !outside);
        }
      }
      if (!live) continue;
      if (c.end != PathEnd::kReturned) {
        RecordEnd(next, c.end, fmt::format("in {}: {}", fn.getName().str(), c.message));
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
  std::map<std::string, uint32_t> ctype_tables_;      // per table: the object holding its pointer
  static constexpr uint64_t kMaxSummaryObject = 512;  // bytes an argument's object may have
  std::vector<std::vector<ParamRead>> summary_reads_;
  std::vector<PathResult> pending_errors_;
  std::vector<std::vector<ParamRead>> pending_error_reads_;
  uint64_t fresh_ = 0;
  int summarising_ = 0;  // summaries being built (nested)
};

Executor::Executor(z3::context& ctx, const llvm::Module& module, Options options)
    : impl_(std::make_unique<Impl>(ctx, module, options, stats_)) {}
Executor::~Executor() = default;

Result<RunResult> Executor::Run(const std::string& function, const std::vector<Arg>& args,
                                const Memory* start) {
  Result<RunResult> r = impl_->Run(function, args, start);
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
