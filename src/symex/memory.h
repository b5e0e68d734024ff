// The symbolic executor's memory: objects (globals, stack slots, heap blocks, a run's inputs),
// each an array of 8-bit expressions, or, for the pointer parameters of a function being
// summarised, an unbounded Z3 array standing for whatever the caller will pass. A pointer is a
// plain 64-bit value: the high 32 bits name the object (0 is null), the low 32 bits are the
// offset, so pointers live in registers and in memory like any integer. Copying a Memory (a fork)
// shares the objects; an object is copied when one of the sharers writes it.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llms::symex {

inline constexpr uint32_t kNullObject = 0;

struct ByteView;

struct MemObject {
  std::string name;
  std::vector<z3::expr> bytes;  // each 8 bits wide (unused for an array object)
  // A summarised function's view of a pointer parameter: reads are selects on this array
  // (32-bit index, 8-bit value), indexed from the pointer the caller passes.
  std::optional<z3::expr> array;
  bool writable = true;
  bool global = false;
  // How a read at a symbolic offset sees the bytes: built by the first such read, kept until the
  // object is written (ByteView).
  mutable std::shared_ptr<const ByteView> view;
};

// An object's bytes for reads at a symbolic offset. A table of concrete bytes is a few runs,
// each constant or counting up by one (a character table: 'A'..'Z' to 'a'..'z', the rest
// itself), and the byte at an offset is chosen among the runs by comparisons: terms the solver
// bit-blasts cheaply. Otherwise (symbolic bytes, or too many runs) the bytes are one array term;
// a small object of symbolic bytes needs no view (an if-then-else over its positions).
struct ByteView {
  struct Run {
    uint32_t start;  // the run's first offset
    uint8_t base;    // its first byte
    uint8_t step;    // 0: every byte is `base`; 1: base, base+1, ... (modulo 256)
  };
  static constexpr size_t kMaxRuns = 64;
  std::vector<Run> runs;          // when every byte is concrete and they make at most kMaxRuns
  std::optional<z3::expr> array;  // otherwise: index 32 bits, value 8 bits
};

class Memory {
 public:
  explicit Memory(z3::context& ctx);

  // A new object; its id (never kNullObject).
  uint32_t Allocate(std::string name, std::vector<z3::expr> bytes, bool writable);
  // An object of `size` fresh bytes named `name`[i].
  uint32_t AllocateSymbolic(const std::string& name, size_t size, bool writable = true);
  uint32_t AllocateConcrete(std::string name, const std::vector<uint8_t>& bytes, bool writable);
  // An unbounded, read-only object backed by the array constant `name`, indexed by a signed 32-bit
  // position relative to where the caller's pointer points; pointers into it start at
  // kArrayBase, so that negative positions stay inside the object.
  uint32_t AllocateArray(const std::string& name);
  static constexpr uint64_t kArrayBase = 0x80000000u;

  bool Valid(uint32_t id) const { return id != kNullObject && id < objects_.size(); }
  const MemObject& object(uint32_t id) const { return *objects_.at(id); }
  // For writing: an object shared with another state's memory is copied first.
  MemObject& Writable(uint32_t id);

  // The pointer to `offset` in `object`.
  z3::expr Pointer(uint32_t object, uint64_t offset) const;

  // `n` bytes at `offset` (32 bits) of `object`, little-endian, as one 8n-bit value. Bounds are
  // the caller's to check; a symbolic offset selects from the object's bytes as an array.
  z3::expr Load(uint32_t object, const z3::expr& offset, unsigned n) const;
  // Writes the bytes of `value` (a multiple of 8 bits) at `offset`.
  void Store(uint32_t object, const z3::expr& offset, const z3::expr& value);

  // The object's bytes as an array indexed relative to `offset` (two's complement: the bytes
  // before `offset` at negative positions), for applying a summary to a pointer into it.
  z3::expr AsArray(uint32_t object, uint64_t offset) const;

 private:
  // The byte of `o` at the symbolic offset `at` (its ByteView).
  z3::expr SelectByte(const MemObject& o, const z3::expr& at) const;
  // `o`'s bytes as an array indexed relative to `offset` (AsArray).
  z3::expr StoreChain(const MemObject& o, uint64_t offset) const;

  z3::context* ctx_;
  // Copy on write: forked states share the objects neither has written since the fork.
  std::vector<std::shared_ptr<MemObject>> objects_;
};

// The object a pointer names and its offset (both 32 bits).
z3::expr PointerObject(const z3::expr& pointer);
z3::expr PointerOffset(const z3::expr& pointer);

}  // namespace llms::symex
