// GGUF v3 writing.
#include "engine/gguf_writer.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace llms::engine {

namespace {
constexpr uint32_t kAlignment = 32;

template <typename T>
void Put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}
void PutString(std::string& out, std::string_view s) {
  Put<uint64_t>(out, s.size());
  out.append(s);
}
}  // namespace

void GgufWriter::Key(const std::string& key, GgufValueType type) {
  PutString(kv_, key);
  Put<uint32_t>(kv_, static_cast<uint32_t>(type));
  ++kv_count_;
}

void GgufWriter::SetString(const std::string& key, const std::string& value) {
  Key(key, GgufValueType::kString);
  PutString(kv_, value);
}
void GgufWriter::SetUint32(const std::string& key, uint32_t value) {
  Key(key, GgufValueType::kUint32);
  Put(kv_, value);
}
void GgufWriter::SetInt32(const std::string& key, int32_t value) {
  Key(key, GgufValueType::kInt32);
  Put(kv_, value);
}
void GgufWriter::SetFloat32(const std::string& key, float value) {
  Key(key, GgufValueType::kFloat32);
  Put(kv_, value);
}
void GgufWriter::SetBool(const std::string& key, bool value) {
  Key(key, GgufValueType::kBool);
  Put<uint8_t>(kv_, value ? 1 : 0);
}
void GgufWriter::SetStringArray(const std::string& key, const std::vector<std::string>& values) {
  Key(key, GgufValueType::kArray);
  Put<uint32_t>(kv_, static_cast<uint32_t>(GgufValueType::kString));
  Put<uint64_t>(kv_, values.size());
  for (const auto& s : values) PutString(kv_, s);
}
void GgufWriter::SetFloatArray(const std::string& key, const std::vector<float>& values) {
  Key(key, GgufValueType::kArray);
  Put<uint32_t>(kv_, static_cast<uint32_t>(GgufValueType::kFloat32));
  Put<uint64_t>(kv_, values.size());
  for (float f : values) Put(kv_, f);
}
void GgufWriter::SetInt32Array(const std::string& key, const std::vector<int32_t>& values) {
  Key(key, GgufValueType::kArray);
  Put<uint32_t>(kv_, static_cast<uint32_t>(GgufValueType::kInt32));
  Put<uint64_t>(kv_, values.size());
  for (int32_t v : values) Put(kv_, v);
}

void GgufWriter::SetValue(const std::string& key, const GgufValue& v) {
  Key(key, v.type);
  switch (v.type) {
    case GgufValueType::kString:
      PutString(kv_, v.str);
      break;
    case GgufValueType::kArray: {
      Put<uint32_t>(kv_, static_cast<uint32_t>(v.elem_type));
      Put<uint64_t>(kv_, v.count);
      if (v.elem_type == GgufValueType::kString) {
        for (auto s : v.strings) PutString(kv_, s);
      } else {
        kv_.append(reinterpret_cast<const char*>(v.elems), v.count * GgufScalarSize(v.elem_type));
      }
      break;
    }
    case GgufValueType::kFloat32:
      Put(kv_, static_cast<float>(v.f));
      break;
    case GgufValueType::kFloat64:
      Put(kv_, v.f);
      break;
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kBool:
      Put(kv_, static_cast<uint8_t>(v.u));
      break;
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
      Put(kv_, static_cast<uint16_t>(v.u));
      break;
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
      Put(kv_, static_cast<uint32_t>(v.u));
      break;
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
      Put(kv_, v.u);
      break;
  }
}

void GgufWriter::AddTensor(const std::string& name, GgmlType type, std::vector<int64_t> dims,
                           Fill fill) {
  int64_t rows = 1;
  for (size_t i = 1; i < dims.size(); ++i) rows *= dims[i];
  const size_t bytes = RowBytes(type, dims[0]) * static_cast<size_t>(rows);
  tensors_.push_back({name, type, std::move(dims), std::move(fill), bytes});
}

Status GgufWriter::Write(const std::string& path,
                         const std::function<void(size_t, size_t)>& progress) const {
  std::string head;
  Put<uint32_t>(head, 0x46554747);
  Put<uint32_t>(head, 3);
  Put<uint64_t>(head, tensors_.size());
  Put<uint64_t>(head, kv_count_);
  head += kv_;
  uint64_t offset = 0;
  for (const Tensor& t : tensors_) {
    PutString(head, t.name);
    Put<uint32_t>(head, static_cast<uint32_t>(t.dims.size()));
    for (int64_t d : t.dims) Put<uint64_t>(head, static_cast<uint64_t>(d));
    Put<uint32_t>(head, static_cast<uint32_t>(t.type));
    Put<uint64_t>(head, offset);
    offset += (t.bytes + kAlignment - 1) / kAlignment * kAlignment;
  }
  head.resize((head.size() + kAlignment - 1) / kAlignment * kAlignment, '\0');
  // A name of this process and call: concurrent writers of one path (parallel tests, two
  // converts) never share a temporary, and the rename publishes a complete file atomically.
  static std::atomic<int> counter{0};
  const std::string tmp =
      fmt::format("{}.tmp.{}.{}", path, static_cast<long>(::getpid()), counter.fetch_add(1));
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) {
    return Status::Error(fmt::format("cannot create {}: {}", tmp, std::strerror(errno)));
  }
  bool ok = std::fwrite(head.data(), 1, head.size(), f) == head.size();
  std::vector<uint8_t> buf;
  for (size_t i = 0; ok && i < tensors_.size(); ++i) {
    const Tensor& t = tensors_[i];
    const size_t padded = (t.bytes + kAlignment - 1) / kAlignment * kAlignment;
    buf.assign(padded, 0);
    t.fill(buf.data());
    ok = std::fwrite(buf.data(), 1, padded, f) == padded;
    if (progress) progress(i + 1, tensors_.size());
  }
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) {
    std::remove(tmp.c_str());
    return Status::Error(fmt::format("writing {} failed (disk full?)", path));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::Error(fmt::format("cannot rename {} to {}: {}", tmp, path, ec.message()));
  return Status::Ok();
}

}  // namespace llms::engine
