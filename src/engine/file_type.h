// llama.cpp's file types ("ftypes": f16, q8_0, q4_k_m, ...): the name a user asks for, the number
// GGUF's `general.file_type` records, the default type of the weight matrices, and the per-tensor
// choice llama.cpp's quantizer makes for that file type (llama-quant.cpp, without an importance
// matrix): the _S/_M/_L mixes give more bits to attn_v, ffn_down and attn_output in chosen layers,
// the output matrix (or a tied embedding) goes to Q6_K, and a tensor whose rows are not a whole
// number of the type's blocks falls back as llama.cpp's does (Q4_K -> Q5_0, Q5_K -> Q5_1,
// Q6_K -> Q8_0, Q2_K/Q3_K -> Q4_0, then F16). Norms and biases (vectors) stay F32.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/ggml_types.h"
#include "engine/model_config.h"

namespace llms::engine {

struct FileType {
  std::string_view name;  // "q4_k_m"
  uint32_t id;            // general.file_type (llama.cpp's LLAMA_FTYPE_*)
  GgmlType base;          // the weight matrices' type before the mix

  constexpr FileType(std::string_view n, uint32_t i, GgmlType b) : name(n), id(i), base(b) {}
  // The file type "mostly `type`": q8_0 for Q8_0, q4_k_s for Q4_K (llama.cpp has no plain one).
  FileType(GgmlType type);  // NOLINT(google-explicit-constructor): a type names its file type
};

std::optional<FileType> FileTypeFromName(std::string_view name);  // case-insensitive
std::string_view FileTypeName(uint32_t id);  // "q4_k_m" for 15; empty for ids not listed
std::string FileTypeNames();  // "f32, f16, bf16, q8_0, ..." for help texts and errors

// The type llama.cpp's quantizer gives the 2-D tensor `name` (rows x cols) of a model of shape
// `config` in file type `ft`; `tied`: the model has no output.weight (token_embd serves as both).
GgmlType TensorTypeFor(const FileType& ft, const ModelConfig& config, std::string_view name,
                       int64_t rows, int64_t cols, bool tied);

}  // namespace llms::engine
