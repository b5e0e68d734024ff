// GgufWriter: writes GGUF v3 files (metadata in insertion order, tensor table, 32-byte aligned
// data). Tensor contents are produced at write time, one tensor at a time, by a callback, so a
// multi-gigabyte model (a converted, quantized or random-weight one) never has to sit in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/ggml_types.h"
#include "engine/gguf.h"

namespace llms::engine {

class GgufWriter {
 public:
  // Fills `dst` with the tensor's RowBytes(type, dims[0]) * rows bytes.
  using Fill = std::function<void(uint8_t* dst)>;

  void SetString(const std::string& key, const std::string& value);
  void SetUint32(const std::string& key, uint32_t value);
  void SetInt32(const std::string& key, int32_t value);
  void SetFloat32(const std::string& key, float value);
  void SetBool(const std::string& key, bool value);
  void SetStringArray(const std::string& key, const std::vector<std::string>& values);
  void SetFloatArray(const std::string& key, const std::vector<float>& values);
  void SetInt32Array(const std::string& key, const std::vector<int32_t>& values);
  // Copies a value read from another file (strings and arrays included).
  void SetValue(const std::string& key, const GgufValue& value);

  // dims in ggml order (dims[0] = columns, contiguous).
  void AddTensor(const std::string& name, GgmlType type, std::vector<int64_t> dims, Fill fill);
  size_t tensor_count() const { return tensors_.size(); }

  // Writes the file (to a temporary name unique to this process and call, renamed into place on
  // success, so readers never see a partial file). `progress` (optional)
  // is called after each tensor with (tensors written, total).
  Status Write(const std::string& path,
               const std::function<void(size_t, size_t)>& progress = nullptr) const;

 private:
  struct Tensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> dims;
    Fill fill;
    size_t bytes;
  };
  void Key(const std::string& key, GgufValueType type);
  std::string kv_;  // encoded metadata entries
  uint64_t kv_count_ = 0;
  std::vector<Tensor> tensors_;
};

}  // namespace llms::engine
