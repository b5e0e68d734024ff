// llama.cpp's file types and their per-tensor type mixes.
#include "engine/file_type.h"

#include <cstdlib>
#include <iterator>

#include "core/text.h"

namespace llms::engine {

namespace {

// llama.cpp's LLAMA_FTYPE_* numbers.
constexpr FileType kFileTypes[] = {
    {"f32", 0, GgmlType::kF32},      {"f16", 1, GgmlType::kF16},
    {"bf16", 32, GgmlType::kBF16},   {"q8_0", 7, GgmlType::kQ8_0},
    {"q4_0", 2, GgmlType::kQ4_0},    {"q4_1", 3, GgmlType::kQ4_1},
    {"q5_0", 8, GgmlType::kQ5_0},    {"q5_1", 9, GgmlType::kQ5_1},
    {"q2_k", 10, GgmlType::kQ2_K},   {"q3_k_s", 11, GgmlType::kQ3_K},
    {"q3_k_m", 12, GgmlType::kQ3_K}, {"q3_k_l", 13, GgmlType::kQ3_K},
    {"q4_k_s", 14, GgmlType::kQ4_K}, {"q4_k_m", 15, GgmlType::kQ4_K},
    {"q5_k_s", 16, GgmlType::kQ5_K}, {"q5_k_m", 17, GgmlType::kQ5_K},
    {"q6_k", 18, GgmlType::kQ6_K},
};

// llama.cpp's choice of layers that get more bits: the first and last eighth, and every third
// layer between.
bool UseMoreBits(int layer, int n_layers) {
  return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

// blk.N.<role>.weight -> N and role; -1 where the name has no layer.
int LayerOf(std::string_view name, std::string_view& role) {
  role = name;
  if (!name.starts_with("blk.")) return -1;
  const size_t dot = name.find('.', 4);
  if (dot == std::string_view::npos) return -1;
  role = name.substr(dot + 1);
  return std::atoi(std::string(name.substr(4, dot - 4)).c_str());
}

int BlockValues(GgmlType t) {
  return TraitsOf(static_cast<uint32_t>(t))->block_values;
}

// llama.cpp's tensor_type_fallback: rows that are not whole blocks of the chosen type.
GgmlType Fallback(GgmlType t, int64_t cols) {
  if (cols % BlockValues(t) == 0) return t;
  switch (t) {
    case GgmlType::kQ2_K:
    case GgmlType::kQ3_K:
      t = GgmlType::kQ4_0;
      break;
    case GgmlType::kQ4_K:
      t = GgmlType::kQ5_0;
      break;
    case GgmlType::kQ5_K:
      t = GgmlType::kQ5_1;
      break;
    case GgmlType::kQ6_K:
      t = GgmlType::kQ8_0;
      break;
    default:
      break;
  }
  return cols % BlockValues(t) == 0 ? t : GgmlType::kF16;
}

}  // namespace

std::optional<FileType> FileTypeFromName(std::string_view name) {
  const std::string lower = AsciiLower(name);
  for (const FileType& ft : kFileTypes) {
    if (ft.name == lower) return ft;
  }
  return std::nullopt;
}

FileType::FileType(GgmlType type) : FileType(kFileTypes[0]) {
  for (const FileType& ft : kFileTypes) {
    if (ft.base == type) {  // the first of each base type is its plain file type
      *this = ft;
      return;
    }
  }
}

std::string_view FileTypeName(uint32_t id) {
  for (const FileType& ft : kFileTypes) {
    if (ft.id == id) return ft.name;
  }
  return {};
}

std::string FileTypeNames() {
  std::string out;
  for (const FileType& ft : kFileTypes) {
    if (!out.empty()) out += ", ";
    out += ft.name;
  }
  return out;
}

GgmlType TensorTypeFor(const FileType& ft, const ModelConfig& config, std::string_view name,
                       int64_t rows, int64_t cols, bool tied) {
  if (rows == 1) return GgmlType::kF32;  // norms and biases
  GgmlType t = ft.base;
  if (!IsQuantized(t)) return cols % BlockValues(t) == 0 ? t : GgmlType::kF16;
  const std::string_view f = ft.name;
  std::string_view role;
  const int layer = LayerOf(name, role);
  const int n = config.n_layers;
  const int n_gqa = config.n_kv_heads > 0 ? config.n_heads / config.n_kv_heads : 1;
  const bool is_70b =
      config.architecture == "llama" && n == 80 && config.n_kv_heads < config.n_heads;
  if (name == "output.weight" || (tied && name == "token_embd.weight")) {
    if (cols % BlockValues(t) != 0) {
      t = GgmlType::kQ8_0;
    } else if (t != GgmlType::kQ8_0) {
      t = GgmlType::kQ6_K;
    }
  } else if (role == "attn_v.weight") {
    if (f == "q2_k") {
      t = n_gqa >= 4 ? GgmlType::kQ4_K : GgmlType::kQ3_K;
    } else if (f == "q3_k_m") {
      t = layer < 2 ? GgmlType::kQ5_K : GgmlType::kQ4_K;
    } else if (f == "q3_k_l") {
      t = GgmlType::kQ5_K;
    } else if ((f == "q4_k_m" || f == "q5_k_m") && UseMoreBits(layer, n)) {
      t = GgmlType::kQ6_K;
    } else if (f == "q4_k_s" && layer < 4) {
      t = GgmlType::kQ5_K;
    }
    if (is_70b && (t == GgmlType::kQ3_K || t == GgmlType::kQ4_K)) t = GgmlType::kQ5_K;
  } else if (role == "ffn_down.weight") {
    if (f == "q2_k") {
      t = GgmlType::kQ3_K;
    } else if (f == "q3_k_m") {
      t = layer < n / 16 ? GgmlType::kQ5_K : GgmlType::kQ4_K;
    } else if (f == "q3_k_l") {
      t = GgmlType::kQ5_K;
    } else if (f == "q4_k_m") {
      if (UseMoreBits(layer, n)) t = GgmlType::kQ6_K;
    } else if (f == "q5_k_m" && UseMoreBits(layer, n)) {
      t = GgmlType::kQ6_K;
    } else if (f == "q4_k_s" && layer < n / 8) {
      t = GgmlType::kQ5_K;
    }
  } else if (role == "attn_output.weight") {
    if (f == "q2_k") {
      t = GgmlType::kQ3_K;
    } else if (f == "q3_k_m") {
      t = GgmlType::kQ4_K;
    } else if (f == "q3_k_l") {
      t = GgmlType::kQ5_K;
    }
  }
  return Fallback(t, cols);
}

}  // namespace llms::engine
