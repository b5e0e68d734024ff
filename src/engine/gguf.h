// GGUF reader: parses a GGUF v2/v3 file (header, metadata key/values, tensor table, alignment) from
// memory without copying: strings and tensor data are views into the bytes, which the caller keeps
// alive (GgufFile::Open maps the file and keeps the mapping). Every read is bounds-checked; a
// malformed or unsupported file gives an error naming what is wrong and where (truncated header,
// bad magic or version, tensor past the end of the file, unknown tensor type, misalignment), so the
// parser is safe on any input (it is fuzzed in CI). Format: github.com/ggml-org/ggml docs/gguf.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/mapped_file.h"
#include "core/status.h"
#include "engine/ggml_types.h"

namespace llms::engine {

enum class GgufValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};
std::string_view GgufValueTypeName(GgufValueType t);
// Bytes of one scalar of type t; 0 for strings, arrays and unknown types.
size_t GgufScalarSize(GgufValueType t);

// One metadata value. Scalars are widened: integers and bools to `i` (uint64 values above INT64_MAX
// wrap; callers use `u`), floats to `f`. Arrays keep their element type and count; numeric arrays
// are a view of the raw little-endian elements, string arrays a list of views.
struct GgufValue {
  GgufValueType type = GgufValueType::kUint8;
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0.0;
  std::string_view str;
  GgufValueType elem_type = GgufValueType::kUint8;  // arrays
  uint64_t count = 0;                               // arrays
  const uint8_t* elems = nullptr;                   // numeric arrays
  std::vector<std::string_view> strings;            // string arrays
  bool is_integer() const;
  bool is_float() const {
    return type == GgufValueType::kFloat32 || type == GgufValueType::kFloat64;
  }
};

struct GgufTensor {
  std::string_view name;
  std::vector<int64_t> dims;  // ggml order: dims[0] is the contiguous (column) dimension
  uint32_t type = 0;
  uint64_t offset = 0;  // from the start of the data section
  const uint8_t* data = nullptr;
  size_t bytes = 0;
  int64_t cols() const { return dims.empty() ? 1 : dims[0]; }
  int64_t rows() const;  // product of the other dimensions
};

class GgufFile {
 public:
  static Result<GgufFile> Open(const std::string& path);
  // Parses `bytes` (which must outlive the result); `name` prefixes error messages.
  static Result<GgufFile> Parse(std::string_view bytes, const std::string& name);

  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  const std::vector<std::pair<std::string_view, GgufValue>>& metadata() const { return kv_; }
  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufValue* Find(std::string_view key) const;
  const GgufTensor* FindTensor(std::string_view name) const;

  // Typed lookups; nullopt when the key is absent; an error when present with the wrong type.
  Result<std::optional<std::string>> GetString(std::string_view key) const;
  Result<std::optional<int64_t>> GetInt(std::string_view key) const;
  Result<std::optional<double>> GetFloat(std::string_view key) const;
  Result<std::optional<bool>> GetBool(std::string_view key) const;
  Result<std::vector<std::string_view>> GetStringArray(std::string_view key) const;  // {} if absent
  Result<std::vector<float>> GetFloatArray(std::string_view key) const;
  Result<std::vector<int64_t>> GetIntArray(std::string_view key) const;

  const std::string& name() const { return name_; }
  std::shared_ptr<const MappedFile> mapping() const { return file_; }

 private:
  std::string name_;
  uint32_t version_ = 0;
  uint32_t alignment_ = 32;
  std::vector<std::pair<std::string_view, GgufValue>> kv_;
  std::vector<GgufTensor> tensors_;
  std::shared_ptr<const MappedFile> file_;
};

// The value as text for `aegaeon model info` (arrays abbreviated after `max_elems` elements).
std::string FormatGgufValue(const GgufValue& v, size_t max_elems = 8);

}  // namespace llms::engine
