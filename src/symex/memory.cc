// Objects as byte vectors, pointers as tagged 64-bit values (see memory.h).
#include "symex/memory.h"

#include <fmt/format.h>

namespace llms::symex {

Memory::Memory(z3::context& ctx) : ctx_(&ctx) {
  objects_.push_back(
      std::make_shared<MemObject>(MemObject{"null", {}, std::nullopt, false, false, nullptr}));
}

MemObject& Memory::Writable(uint32_t id) {
  std::shared_ptr<MemObject>& o = objects_.at(id);
  if (o.use_count() > 1) o = std::make_shared<MemObject>(*o);
  o->view.reset();  // the caller writes it
  return *o;
}

uint32_t Memory::Allocate(std::string name, std::vector<z3::expr> bytes, bool writable) {
  objects_.push_back(std::make_shared<MemObject>(
      MemObject{std::move(name), std::move(bytes), std::nullopt, writable, false, nullptr}));
  return static_cast<uint32_t>(objects_.size() - 1);
}

uint32_t Memory::AllocateSymbolic(const std::string& name, size_t size, bool writable) {
  std::vector<z3::expr> bytes;
  bytes.reserve(size);
  for (size_t i = 0; i < size; ++i) {
    bytes.push_back(ctx_->bv_const(fmt::format("{}[{}]", name, i).c_str(), 8));
  }
  return Allocate(name, std::move(bytes), writable);
}

uint32_t Memory::AllocateConcrete(std::string name, const std::vector<uint8_t>& bytes,
                                  bool writable) {
  std::vector<z3::expr> out;
  out.reserve(bytes.size());
  for (uint8_t b : bytes) out.push_back(ctx_->bv_val(b, 8));
  return Allocate(std::move(name), std::move(out), writable);
}

uint32_t Memory::AllocateArray(const std::string& name) {
  const uint32_t id = Allocate(name, {}, /*writable=*/false);
  objects_[id]->array =
      ctx_->constant(name.c_str(), ctx_->array_sort(ctx_->bv_sort(32), ctx_->bv_sort(8)));
  return id;
}

z3::expr Memory::Pointer(uint32_t object, uint64_t offset) const {
  return ctx_->bv_val((static_cast<uint64_t>(object) << 32) | (offset & 0xffffffffu), 64);
}

namespace {

// Objects of up to this many bytes, not all concrete, are read at a symbolic offset through an
// if-then-else over their positions rather than as an array.
constexpr size_t kIteBytes = 64;

// The runs of `bytes` (ByteView), or nothing when a byte is symbolic or there are too many.
std::optional<std::vector<ByteView::Run>> Runs(const std::vector<z3::expr>& bytes) {
  std::vector<uint8_t> b(bytes.size());
  for (size_t j = 0; j < bytes.size(); ++j) {
    uint64_t v = 0;
    if (!bytes[j].is_numeral_u64(v)) return std::nullopt;
    b[j] = static_cast<uint8_t>(v);
  }
  std::vector<ByteView::Run> runs;
  for (size_t j = 0; j < b.size();) {
    // The longer of the constant run and the counting run starting at j.
    size_t flat = j + 1, up = j + 1;
    while (flat < b.size() && b[flat] == b[j]) ++flat;
    while (up < b.size() && b[up] == static_cast<uint8_t>(b[j] + (up - j))) ++up;
    runs.push_back({static_cast<uint32_t>(j), b[j], static_cast<uint8_t>(up > flat ? 1 : 0)});
    if (runs.size() > ByteView::kMaxRuns) return std::nullopt;
    j = std::max(flat, up);
  }
  return runs;
}

// The byte of runs[lo..hi] at `at`: comparisons on the runs' starts, a balanced tree of them.
z3::expr RunsAt(z3::context& ctx, const std::vector<ByteView::Run>& runs, size_t lo, size_t hi,
                const z3::expr& at) {
  if (lo == hi) {
    const ByteView::Run& r = runs[lo];
    if (r.step == 0) return ctx.bv_val(r.base, 8);
    return (at - ctx.bv_val(r.start, 32)).extract(7, 0) + ctx.bv_val(r.base, 8);
  }
  const size_t mid = (lo + hi + 1) / 2;
  return z3::ite(z3::ult(at, ctx.bv_val(runs[mid].start, 32)), RunsAt(ctx, runs, lo, mid - 1, at),
                 RunsAt(ctx, runs, mid, hi, at));
}

}  // namespace

z3::expr Memory::SelectByte(const MemObject& o, const z3::expr& at) const {
  if (o.bytes.size() <= kIteBytes && !o.view) {
    // A small object (a name's bytes): the byte at each position, if-then-else.
    bool concrete = true;
    for (const z3::expr& b : o.bytes) concrete = concrete && b.is_numeral();
    if (!concrete) {
      z3::expr byte = ctx_->bv_val(0, 8);
      for (size_t j = o.bytes.size(); j-- > 0;) {
        byte = z3::ite(at == ctx_->bv_val(j, 32), o.bytes[j], byte);
      }
      return byte;
    }
  }
  if (!o.view) {
    auto view = std::make_shared<ByteView>();
    if (auto runs = Runs(o.bytes); runs && !runs->empty()) {
      view->runs = std::move(*runs);
    } else {
      view->array = StoreChain(o, 0);
    }
    o.view = std::move(view);
  }
  if (!o.view->runs.empty()) return RunsAt(*ctx_, o.view->runs, 0, o.view->runs.size() - 1, at);
  return z3::select(*o.view->array, at);
}

z3::expr Memory::Load(uint32_t id, const z3::expr& offset, unsigned n) const {
  const MemObject& o = *objects_.at(id);
  // Concrete bytes at a concrete offset: the value computed natively.
  const z3::expr offset_value = offset.is_numeral() ? offset : offset.simplify();
  if (uint64_t at = 0;
      !o.array && n <= 8 && offset_value.is_numeral_u64(at) && at + n <= o.bytes.size()) {
    uint64_t v = 0;
    bool concrete = true;
    for (unsigned i = 0; i < n && concrete; ++i) {
      uint64_t b = 0;
      concrete = o.bytes[at + i].is_numeral_u64(b);
      v |= b << (8 * i);
    }
    if (concrete) return ctx_->bv_val(v, 8 * n);
  }
  std::optional<z3::expr> value;
  for (unsigned i = 0; i < n; ++i) {
    const z3::expr at = offset + ctx_->bv_val(i, 32);
    z3::expr byte = ctx_->bv_val(0, 8);
    if (o.array) {
      byte = z3::select(*o.array, at - ctx_->bv_val(kArrayBase, 32));
    } else if (uint64_t k; at.simplify().is_numeral_u64(k)) {
      byte = o.bytes.at(k);
    } else {
      byte = SelectByte(o, at);
    }
    value = value ? z3::concat(byte, *value) : byte;  // little-endian: later bytes are higher
  }
  return value->simplify();
}

void Memory::Store(uint32_t id, const z3::expr& offset, const z3::expr& value) {
  MemObject& o = Writable(id);
  const unsigned n = value.get_sort().bv_size() / 8;
  const z3::expr offset_value = offset.is_numeral() ? offset : offset.simplify();
  if (uint64_t at = 0; offset_value.is_numeral_u64(at) && at + n <= o.bytes.size()) {
    if (uint64_t v = 0; n <= 8 && value.is_numeral_u64(v)) {
      for (unsigned i = 0; i < n; ++i) o.bytes[at + i] = ctx_->bv_val((v >> (8 * i)) & 0xff, 8);
      return;
    }
    if (n == 1) {
      o.bytes[at] = value;
      return;
    }
  }
  for (unsigned i = 0; i < n; ++i) {
    const z3::expr byte = value.extract(8 * i + 7, 8 * i).simplify();
    const z3::expr at = (offset + ctx_->bv_val(i, 32)).simplify();
    if (uint64_t k; at.is_numeral_u64(k)) {
      o.bytes.at(k) = byte;
    } else {
      for (size_t j = 0; j < o.bytes.size(); ++j) {
        o.bytes[j] = z3::ite(at == ctx_->bv_val(j, 32), byte, o.bytes[j]).simplify();
      }
    }
  }
}

z3::expr Memory::AsArray(uint32_t id, uint64_t offset) const {
  return StoreChain(*objects_.at(id), offset);
}

z3::expr Memory::StoreChain(const MemObject& o, uint64_t offset) const {
  z3::expr a = z3::const_array(ctx_->bv_sort(32), ctx_->bv_val(0, 8));
  for (size_t j = 0; j < o.bytes.size(); ++j) {
    a = z3::store(a, ctx_->bv_val(static_cast<uint32_t>(j - offset), 32), o.bytes[j]);
  }
  return a;
}

z3::expr PointerObject(const z3::expr& pointer) {
  return pointer.extract(63, 32).simplify();
}
z3::expr PointerOffset(const z3::expr& pointer) {
  return pointer.extract(31, 0).simplify();
}

}  // namespace llms::symex
