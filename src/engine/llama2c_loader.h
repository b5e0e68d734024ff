// Loader for llama2.c model files (`.bin`): a 7 x int32 header (dim, hidden_dim, n_layers,
// n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size means a separate classifier)
// followed by float32 tensors in a fixed order. The file is memory-mapped and the weights are used
// in place. Errors say what is wrong with the file (bad header, truncated, trailing bytes).
#pragma once

#include <string>

#include "core/status.h"
#include "engine/model.h"

namespace llms::engine {

Result<Model> LoadLlama2cModel(const std::string& path);

}  // namespace llms::engine
