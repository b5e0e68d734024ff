// Model loading by file format: GGUF (tokenizer embedded) or llama2.c `.bin` (with its tokenizer
// file), recognised by content, not by file name. What `aegaeon run` and the server call.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "engine/model.h"
#include "engine/tokenizer.h"

namespace llms::engine {

struct LoadedModel {
  Model model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::string format;         // "gguf" or "llama2.c"
  std::string chat_template;  // GGUF `tokenizer.chat_template`, empty when absent
  std::string name;           // GGUF `general.name`, empty when absent
};

// `tokenizer_path` is required for llama2.c models; for GGUF it replaces the embedded tokenizer
// only if given (a llama2.c tokenizer file).
Result<LoadedModel> LoadModelFiles(const std::string& model_path,
                                   const std::string& tokenizer_path = "");

// True when the file starts with the GGUF magic.
bool IsGgufFile(const std::string& path);

}  // namespace llms::engine
