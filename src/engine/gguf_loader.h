// GGUF model loading: reads the architecture's hyper-parameters from the metadata (`llama` for
// Llama 2/3 and Mistral, `qwen2` with its QKV biases), checks every tensor's name, type and shape
// against them, and returns a Model whose weights are views into the memory-mapped file. Also
// builds the tokenizer the file embeds (`tokenizer.ggml.model` = `llama`: SentencePiece; `gpt2`:
// byte-level BPE). Errors name the file and what is missing or inconsistent.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/tokenizer.h"

namespace llms::engine {

// Where each GGUF tensor of the Llama family goes in a Model, and its shape (from m.config; the
// caller has sized m.layers). `output.weight` is optional (tied embeddings when absent); biases
// are listed for qwen2 only. Loading, conversion and random-weight models all use this one table.
struct GgufTensorSlot {
  std::string name;
  int64_t rows, cols;
  bool optional;
  Tensor* tensor;
};
std::vector<GgufTensorSlot> GgufTensorSlots(Model& m);

Result<Model> LoadGgufModel(const GgufFile& file);
// The embedded tokenizer; an error when the file has none or an unsupported kind.
Result<std::unique_ptr<Tokenizer>> LoadGgufTokenizer(const GgufFile& file);

}  // namespace llms::engine
