// Format detection and loading of a model with its tokenizer.
#include "engine/model_loader.h"

#include <cstdio>

#include "engine/gguf_loader.h"
#include "engine/llama2c_loader.h"
#include "engine/sentencepiece_tokenizer.h"

namespace llms::engine {

bool IsGgufFile(const std::string& path) {
  char magic[4] = {};
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  const size_t got = std::fread(magic, 1, 4, f);
  std::fclose(f);
  return got == 4 && std::string_view(magic, 4) == "GGUF";
}

Result<LoadedModel> LoadModelFiles(const std::string& model_path,
                                   const std::string& tokenizer_path) {
  LoadedModel out;
  if (IsGgufFile(model_path)) {
    auto file = GgufFile::Open(model_path);
    if (!file.ok()) return file.status();
    auto model = LoadGgufModel(*file);
    if (!model.ok()) return model.status();
    out.model = std::move(model).value();
    out.format = "gguf";
    if (auto t = file->GetString("tokenizer.chat_template"); t.ok() && t.value()) {
      out.chat_template = *t.value();
    }
    if (auto n = file->GetString("general.name"); n.ok() && n.value()) out.name = *n.value();
    if (tokenizer_path.empty()) {
      auto tok = LoadGgufTokenizer(*file);
      if (!tok.ok()) return tok.status();
      out.tokenizer = std::move(tok).value();
    }
  } else if (model_path.size() >= 5 && model_path.compare(model_path.size() - 5, 5, ".gguf") == 0) {
    return Status::Error(model_path +
                         ": not a GGUF file (it does not start with the GGUF magic): a download "
                         "cut short or a file of another kind? Fetch it again");
  } else {
    auto model = LoadLlama2cModel(model_path);
    if (!model.ok()) return model.status();
    out.model = std::move(model).value();
    out.format = "llama2.c";
    if (tokenizer_path.empty()) {
      return Status::Error(model_path +
                           ": a llama2.c model needs its tokenizer file (tok*.bin); "
                           "pass it with --tokenizer");
    }
  }
  if (!tokenizer_path.empty()) {
    auto tok = SentencePieceTokenizer::LoadLlama2c(tokenizer_path, out.model.config.vocab_size);
    if (!tok.ok()) return tok.status();
    out.tokenizer = std::make_unique<SentencePieceTokenizer>(std::move(tok).value());
  }
  if (out.tokenizer->vocab_size() > out.model.config.vocab_size) {
    return Status::Error(model_path +
                         ": the tokenizer has more tokens than the model's vocabulary");
  }
  return out;
}

}  // namespace llms::engine
