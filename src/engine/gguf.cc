// GGUF parsing with bounds checks on every read.
#include "engine/gguf.h"

#include <cstring>
#include <limits>
#include <unordered_set>

#include <fmt/format.h>

namespace llms::engine {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian

class Reader {
 public:
  Reader(std::string_view bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()), base_(p_) {}
  size_t pos() const { return static_cast<size_t>(p_ - base_); }
  size_t left() const { return static_cast<size_t>(end_ - p_); }
  template <typename T>
  bool Read(T& out) {
    if (left() < sizeof(T)) return false;
    std::memcpy(&out, p_, sizeof(T));
    p_ += sizeof(T);
    return true;
  }
  bool ReadString(std::string_view& out) {
    uint64_t n;
    if (!Read(n) || n > left()) return false;
    out = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  bool Skip(uint64_t n) {
    if (n > left()) return false;
    p_ += n;
    return true;
  }
  const uint8_t* here() const { return reinterpret_cast<const uint8_t*>(p_); }

 private:
  const char* p_;
  const char* end_;
  const char* base_;
};

}  // namespace

size_t GgufScalarSize(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kBool:
      return 1;
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
      return 2;
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kFloat32:
      return 4;
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
    case GgufValueType::kFloat64:
      return 8;
    default:
      return 0;
  }
}

namespace {

// Reads one scalar of type t (not string/array) into v.
void DecodeScalar(GgufValueType t, const uint8_t* p, GgufValue& v) {
  auto get = [&](auto x) {
    std::memcpy(&x, p, sizeof(x));
    return x;
  };
  switch (t) {
    case GgufValueType::kUint8:
      v.u = get(uint8_t{});
      v.i = static_cast<int64_t>(v.u);
      break;
    case GgufValueType::kInt8:
      v.i = get(int8_t{});
      v.u = static_cast<uint64_t>(v.i);
      break;
    case GgufValueType::kUint16:
      v.u = get(uint16_t{});
      v.i = static_cast<int64_t>(v.u);
      break;
    case GgufValueType::kInt16:
      v.i = get(int16_t{});
      v.u = static_cast<uint64_t>(v.i);
      break;
    case GgufValueType::kUint32:
      v.u = get(uint32_t{});
      v.i = static_cast<int64_t>(v.u);
      break;
    case GgufValueType::kInt32:
      v.i = get(int32_t{});
      v.u = static_cast<uint64_t>(v.i);
      break;
    case GgufValueType::kUint64:
      v.u = get(uint64_t{});
      v.i = static_cast<int64_t>(v.u);
      break;
    case GgufValueType::kInt64:
      v.i = get(int64_t{});
      v.u = static_cast<uint64_t>(v.i);
      break;
    case GgufValueType::kBool:
      v.i = get(uint8_t{}) != 0;
      v.u = static_cast<uint64_t>(v.i);
      break;
    case GgufValueType::kFloat32:
      v.f = get(float{});
      break;
    case GgufValueType::kFloat64:
      v.f = get(double{});
      break;
    default:
      break;
  }
}

}  // namespace

std::string_view GgufValueTypeName(GgufValueType t) {
  static constexpr std::string_view kNames[] = {"uint8",  "int8",    "uint16", "int16",  "uint32",
                                                "int32",  "float32", "bool",   "string", "array",
                                                "uint64", "int64",   "float64"};
  const auto i = static_cast<uint32_t>(t);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

bool GgufValue::is_integer() const {
  const size_t s = GgufScalarSize(type);
  return s != 0 && !is_float();
}

int64_t GgufTensor::rows() const {
  int64_t r = 1;
  for (size_t i = 1; i < dims.size(); ++i) r *= dims[i];
  return r;
}

Result<GgufFile> GgufFile::Open(const std::string& path) {
  auto mapped = MappedFile::Open(path, /*populate=*/true);
  if (!mapped.ok()) return mapped.status();
  auto file = std::make_shared<const MappedFile>(std::move(mapped).value());
  auto parsed = Parse(file->view(), path);
  if (!parsed.ok()) return parsed.status();
  parsed->file_ = std::move(file);
  return parsed;
}

Result<GgufFile> GgufFile::Parse(std::string_view bytes, const std::string& name) {
  auto fail = [&](const std::string& what) {
    return Result<GgufFile>::Error(fmt::format("{}: {}", name, what));
  };
  Reader r(bytes);
  uint32_t magic = 0, version = 0;
  uint64_t n_tensors = 0, n_kv = 0;
  if (!r.Read(magic) || magic != kMagic) {
    return fail("not a GGUF file (it does not start with the magic \"GGUF\")");
  }
  if (!r.Read(version)) return fail("truncated header: the file ends inside the version field");
  if (version != 2 && version != 3) {
    return fail(
        fmt::format("GGUF version {} is not supported (versions 2 and 3 are); convert the "
                    "model with a current llama.cpp",
                    version));
  }
  if (!r.Read(n_tensors) || !r.Read(n_kv)) {
    return fail("truncated header: the file ends inside the tensor and metadata counts");
  }
  // Each entry takes at least 8 (key/name length) + 4 bytes, so larger counts cannot be real.
  if (n_kv > r.left() / 12 || n_tensors > r.left() / 12) {
    return fail(
        fmt::format("truncated header (or corrupt counts): {} metadata entries and {} tensors "
                    "cannot fit in a {}-byte file",
                    n_kv, n_tensors, bytes.size()));
  }
  GgufFile g;
  g.name_ = name;
  g.version_ = version;
  g.kv_.reserve(n_kv);
  std::unordered_set<std::string_view> keys;
  for (uint64_t k = 0; k < n_kv; ++k) {
    std::string_view key;
    uint32_t type = 0;
    if (!r.ReadString(key) || !r.Read(type)) {
      return fail(
          fmt::format("truncated header: the file ends inside metadata entry #{} of {}", k, n_kv));
    }
    if (!keys.insert(key).second) return fail(fmt::format("duplicate metadata key '{}'", key));
    GgufValue v;
    v.type = static_cast<GgufValueType>(type);
    const std::string where = fmt::format("metadata '{}'", key);
    if (v.type == GgufValueType::kString) {
      if (!r.ReadString(v.str)) return fail(fmt::format("truncated header in {}", where));
    } else if (v.type == GgufValueType::kArray) {
      uint32_t et = 0;
      if (!r.Read(et) || !r.Read(v.count))
        return fail(fmt::format("truncated header in {}", where));
      v.elem_type = static_cast<GgufValueType>(et);
      if (v.elem_type == GgufValueType::kString) {
        if (v.count > r.left() / 8) return fail(fmt::format("truncated header in {}", where));
        v.strings.resize(v.count);
        for (auto& s : v.strings) {
          if (!r.ReadString(s)) return fail(fmt::format("truncated header in {}", where));
        }
      } else {
        const size_t es = GgufScalarSize(v.elem_type);
        if (es == 0) {
          return fail(fmt::format("{} is an array of {} (type {}), which is not supported", where,
                                  GgufValueTypeName(v.elem_type), et));
        }
        if (v.count > r.left() / es) return fail(fmt::format("truncated header in {}", where));
        v.elems = r.here();
        r.Skip(v.count * es);
      }
    } else {
      const size_t s = GgufScalarSize(v.type);
      if (s == 0) return fail(fmt::format("{} has unknown value type {}", where, type));
      if (r.left() < s) return fail(fmt::format("truncated header in {}", where));
      DecodeScalar(v.type, r.here(), v);
      r.Skip(s);
    }
    g.kv_.emplace_back(key, std::move(v));
  }
  if (const GgufValue* a = g.Find("general.alignment")) {
    if (!a->is_integer() || a->u == 0 || a->u > (1u << 20) || (a->u & (a->u - 1)) != 0) {
      return fail("general.alignment must be a power of two (it is usually 32)");
    }
    g.alignment_ = static_cast<uint32_t>(a->u);
  }
  g.tensors_.resize(n_tensors);
  std::unordered_set<std::string_view> names;
  for (uint64_t t = 0; t < n_tensors; ++t) {
    GgufTensor& ti = g.tensors_[t];
    uint32_t n_dims = 0;
    if (!r.ReadString(ti.name) || !r.Read(n_dims)) {
      return fail(fmt::format("truncated header: the file ends inside tensor info #{} of {}", t,
                              n_tensors));
    }
    if (n_dims == 0 || n_dims > 4) {
      return fail(fmt::format("tensor '{}' has {} dimensions (1 to 4 allowed)", ti.name, n_dims));
    }
    ti.dims.resize(n_dims);
    for (auto& d : ti.dims) {
      uint64_t v = 0;
      if (!r.Read(v)) return fail(fmt::format("truncated header in tensor '{}'", ti.name));
      if (v == 0 || v > (uint64_t{1} << 40)) {
        return fail(fmt::format("tensor '{}' has a dimension of {}", ti.name, v));
      }
      d = static_cast<int64_t>(v);
    }
    if (!r.Read(ti.type) || !r.Read(ti.offset)) {
      return fail(fmt::format("truncated header in tensor '{}'", ti.name));
    }
    if (!names.insert(ti.name).second) return fail(fmt::format("duplicate tensor '{}'", ti.name));
    const auto traits = TraitsOf(ti.type);
    if (!traits) {
      return fail(
          fmt::format("tensor '{}' has type {} ({}), which this engine does not support "
                      "(supported: {}); requantize it with `aegaeon model quantize` from an "
                      "F16/F32 file",
                      ti.name, GgmlTypeName(ti.type), ti.type, SupportedTypeNames()));
    }
    if (ti.cols() % traits->block_values != 0) {
      return fail(
          fmt::format("tensor '{}' ({}) has {} columns, not a multiple of the block size {}",
                      ti.name, traits->name, ti.cols(), traits->block_values));
    }
    // Overflow-checked size: values * block_bytes / block_values must fit the file.
    uint64_t values = 1;
    bool overflow = false;
    for (int64_t d : ti.dims)
      overflow |= __builtin_mul_overflow(values, static_cast<uint64_t>(d), &values);
    uint64_t size = 0;
    overflow |= __builtin_mul_overflow(values / static_cast<uint64_t>(traits->block_values),
                                       static_cast<uint64_t>(traits->block_bytes), &size);
    if (overflow || size > bytes.size()) {
      return fail(fmt::format("tensor '{}' needs more bytes than the whole file has", ti.name));
    }
    ti.bytes = static_cast<size_t>(size);
    if (ti.offset % g.alignment_ != 0) {
      return fail(fmt::format("tensor '{}' is at offset {}, not a multiple of the alignment {}",
                              ti.name, ti.offset, g.alignment_));
    }
  }
  const size_t data_start = (r.pos() + g.alignment_ - 1) / g.alignment_ * g.alignment_;
  for (GgufTensor& ti : g.tensors_) {
    if (data_start > bytes.size() || ti.offset > bytes.size() - data_start ||
        ti.bytes > bytes.size() - data_start - ti.offset) {
      return fail(
          fmt::format("tensor '{}' ({} bytes at data offset {}) extends past the end of the "
                      "file ({} bytes): the file is truncated",
                      ti.name, ti.bytes, ti.offset, bytes.size()));
    }
    ti.data = reinterpret_cast<const uint8_t*>(bytes.data()) + data_start + ti.offset;
  }
  return g;
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  for (const auto& [k, v] : kv_) {
    if (k == key) return &v;
  }
  return nullptr;
}

const GgufTensor* GgufFile::FindTensor(std::string_view name) const {
  for (const auto& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

namespace {
Status WrongType(const std::string& file, std::string_view key, const GgufValue& v,
                 std::string_view want) {
  return Status::Error(fmt::format("{}: metadata '{}' is {}, expected {}", file, key,
                                   GgufValueTypeName(v.type), want));
}
}  // namespace

Result<std::optional<std::string>> GgufFile::GetString(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return std::optional<std::string>();
  if (v->type != GgufValueType::kString) return WrongType(name_, key, *v, "a string");
  return std::optional<std::string>(std::string(v->str));
}

Result<std::optional<int64_t>> GgufFile::GetInt(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return std::optional<int64_t>();
  if (!v->is_integer()) return WrongType(name_, key, *v, "an integer");
  return std::optional<int64_t>(v->i);
}

Result<std::optional<double>> GgufFile::GetFloat(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return std::optional<double>();
  if (v->is_float()) return std::optional<double>(v->f);
  if (v->is_integer()) return std::optional<double>(static_cast<double>(v->i));
  return WrongType(name_, key, *v, "a number");
}

Result<std::optional<bool>> GgufFile::GetBool(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return std::optional<bool>();
  if (v->type != GgufValueType::kBool) return WrongType(name_, key, *v, "a bool");
  return std::optional<bool>(v->i != 0);
}

Result<std::vector<std::string_view>> GgufFile::GetStringArray(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return std::vector<std::string_view>();
  if (v->type != GgufValueType::kArray || v->elem_type != GgufValueType::kString) {
    return WrongType(name_, key, *v, "an array of strings");
  }
  return v->strings;
}

Result<std::vector<float>> GgufFile::GetFloatArray(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return std::vector<float>();
  if (v->type != GgufValueType::kArray || GgufScalarSize(v->elem_type) == 0) {
    return WrongType(name_, key, *v, "an array of numbers");
  }
  std::vector<float> out(v->count);
  const size_t es = GgufScalarSize(v->elem_type);
  for (uint64_t i = 0; i < v->count; ++i) {
    GgufValue e;
    e.type = v->elem_type;
    DecodeScalar(v->elem_type, v->elems + i * es, e);
    out[i] = e.is_float() ? static_cast<float>(e.f) : static_cast<float>(e.i);
  }
  return out;
}

Result<std::vector<int64_t>> GgufFile::GetIntArray(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return std::vector<int64_t>();
  const bool ok = v->type == GgufValueType::kArray && GgufScalarSize(v->elem_type) != 0 &&
                  v->elem_type != GgufValueType::kFloat32 &&
                  v->elem_type != GgufValueType::kFloat64;
  if (!ok) return WrongType(name_, key, *v, "an array of integers");
  std::vector<int64_t> out(v->count);
  const size_t es = GgufScalarSize(v->elem_type);
  for (uint64_t i = 0; i < v->count; ++i) {
    GgufValue e;
    DecodeScalar(v->elem_type, v->elems + i * es, e);
    out[i] = e.i;
  }
  return out;
}

namespace {
// Quoted, with control characters escaped and long strings cut.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < 200; ++i) {
    const auto ch = static_cast<unsigned char>(s[i]);
    if (ch == '\n') {
      out += "\\n";
    } else if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20) {
      out += fmt::format("\\x{:02x}", ch);
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + (s.size() > 200 ? "\"..." : "\"");
}
}  // namespace

std::string FormatGgufValue(const GgufValue& v, size_t max_elems) {
  switch (v.type) {
    case GgufValueType::kString:
      return Quote(v.str);
    case GgufValueType::kBool:
      return v.i ? "true" : "false";
    case GgufValueType::kFloat32:
      return fmt::format("{}", static_cast<float>(v.f));
    case GgufValueType::kFloat64:
      return fmt::format("{}", v.f);
    case GgufValueType::kArray: {
      std::string out = fmt::format("[{} x {}] [", v.count, GgufValueTypeName(v.elem_type));
      const size_t n = std::min<uint64_t>(v.count, max_elems);
      for (size_t i = 0; i < n; ++i) {
        if (i) out += ", ";
        if (v.elem_type == GgufValueType::kString) {
          out += Quote(v.strings[i]);
        } else {
          GgufValue e;
          e.type = v.elem_type;
          DecodeScalar(v.elem_type, v.elems + i * GgufScalarSize(v.elem_type), e);
          out += FormatGgufValue(e);
        }
      }
      if (v.count > n) out += ", ...";
      return out + "]";
    }
    default:
      return v.type == GgufValueType::kUint64 ? fmt::format("{}", v.u) : fmt::format("{}", v.i);
  }
}

}  // namespace llms::engine
