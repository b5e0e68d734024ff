// `aegaeon model` implementation: argument handling and printing around engine/model_writer.h.
#include "model_command.h"

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "core/mapped_file.h"
#include "core/progress.h"
#include "core/text.h"
#include "engine/gguf.h"
#include "engine/gguf_loader.h"
#include "engine/kv_cache.h"
#include "engine/llama2c_loader.h"
#include "engine/model_loader.h"
#include "engine/model_writer.h"
#include "engine/weights_arena.h"
#include "errors.h"

namespace llms::aegaeon::cli {

namespace {

Result<engine::FileType> ParseType(const std::string& name) {
  auto t = engine::FileTypeFromName(name);
  if (!t) {
    return Result<engine::FileType>::Error(
        fmt::format("unknown type '{}' (choose one of {})", name, engine::FileTypeNames()));
  }
  return *t;
}

// The file types as llama.cpp's quantizer names them (file_type.h).
std::string TypeHelp(const char* lead) {
  return fmt::format(
      "{}; one of {} (the k_s/k_m/k_l types are llama.cpp's per-tensor mixes: `model info "
      "--tensors` lists each tensor's type)",
      lead, engine::FileTypeNames());
}

// A progress bar over tensors written, with the output's name.
engine::WriteProgress Progress(std::shared_ptr<ProgressBar>& bar, const std::string& output) {
  return [&bar, output](size_t done, size_t total) {
    if (!bar)
      bar = std::make_shared<ProgressBar>("writing " + output, static_cast<double>(total),
                                          ProgressBar::StderrIsTerminal());
    bar->Update(static_cast<double>(done), fmt::format("{}/{} tensors", done, total));
    if (done == total) bar->Finish();
  };
}

void PrintConfig(const engine::Model& m) {
  const engine::ModelConfig& c = m.config;
  int64_t params = 0;
  for (const engine::Tensor* t : m.AllTensors()) params += t->rows * t->cols;
  const size_t weight_bytes = m.WeightBytes();
  fmt::print("model:\n");
  fmt::print("  architecture      {}\n", c.architecture);
  fmt::print("  parameters        {} ({:.3f} B)\n", params, static_cast<double>(params) / 1e9);
  const size_t arena_bytes = engine::WeightsArenaBytes(m);
  fmt::print(
      "  weights           {} ({} bytes; {} bytes placed in an arena, each tensor aligned)\n",
      HumanBytes(static_cast<double>(weight_bytes)), weight_bytes, arena_bytes);
  fmt::print("  dim / hidden      {} / {}\n", c.dim, c.hidden_dim);
  fmt::print("  layers            {}\n", c.n_layers);
  fmt::print("  heads / kv heads  {} / {} (head size {})\n", c.n_heads, c.n_kv_heads, c.head_dim());
  fmt::print("  vocabulary        {}\n", c.vocab_size);
  fmt::print("  context           {}\n", c.seq_len);
  fmt::print(
      "  rope              base {}, {} pairs{}{}\n", c.rope_theta,
      c.rope_neox ? "NeoX (i, i+d/2)" : "adjacent (2i, 2i+1)",
      c.rope_freq_factors.empty() ? "" : ", per-pair frequency factors (rope_freqs)",
      c.rope_linear_scale != 1.0f ? fmt::format(", positions / {}", c.rope_linear_scale) : "");
  fmt::print("  output            {}\n", m.classifier.data == m.token_embedding.data
                                             ? "tied to the token embedding"
                                             : "separate");
  const size_t block = engine::KvCache::BlockBytes(c);
  fmt::print("  KV cache          {} per token, {} per {}-token block ({} bytes, F32)\n",
             HumanBytes(static_cast<double>(block) / engine::KvCache::kBlockTokens),
             HumanBytes(static_cast<double>(block)), engine::KvCache::kBlockTokens, block);
}

int Info(const std::string& path, bool tensors, size_t max_elems) {
  if (!engine::IsGgufFile(path)) {
    auto m = engine::LoadLlama2cModel(path);
    if (!m.ok()) return Fail(m.message());
    fmt::print("file: {} (llama2.c, {})\n", path,
               HumanBytes(static_cast<double>(std::filesystem::file_size(path))));
    PrintConfig(*m);
    return 0;
  }
  auto f = engine::GgufFile::Open(path);
  if (!f.ok()) return Fail(f.message());
  fmt::print("file: {} (GGUF v{}, {}, alignment {})\n", path, f->version(),
             HumanBytes(static_cast<double>(std::filesystem::file_size(path))), f->alignment());
  fmt::print("metadata ({} keys):\n", f->metadata().size());
  for (const auto& [key, value] : f->metadata()) {
    fmt::print("  {:<40} {}\n", key, engine::FormatGgufValue(value, max_elems));
  }
  if (const engine::GgufValue* ft = f->Find("general.file_type"); ft && ft->is_integer()) {
    const auto name = engine::FileTypeName(static_cast<uint32_t>(ft->u));
    fmt::print("file type: {} ({})\n", name.empty() ? "unknown" : name, ft->u);
  }
  std::map<std::string, std::pair<int, size_t>> by_type;
  for (const auto& t : f->tensors()) {
    auto& e = by_type[std::string(engine::GgmlTypeName(t.type))];
    e.first++;
    e.second += t.bytes;
  }
  fmt::print("tensors ({}):\n", f->tensors().size());
  for (const auto& [type, e] : by_type) {
    fmt::print("  {:<6} {:>5} tensors  {}\n", type, e.first,
               HumanBytes(static_cast<double>(e.second)));
  }
  if (tensors) {
    for (const auto& t : f->tensors()) {
      fmt::print("  {:<32} {:<5} [{}]  offset {}\n", t.name, engine::GgmlTypeName(t.type),
                 fmt::join(t.dims, ", "), t.offset);
    }
  }
  auto m = engine::LoadGgufModel(*f);
  if (!m.ok()) {
    fmt::print("model: not loadable by this engine: {}\n", m.message());
    return 1;
  }
  PrintConfig(*m);
  auto tok = engine::LoadGgufTokenizer(*f);
  fmt::print("tokenizer: {}\n", tok.ok()
                                    ? fmt::format("{} tokens, bos {}, eos {}", (*tok)->vocab_size(),
                                                  (*tok)->bos(), (*tok)->eos())
                                    : tok.message());
  return 0;
}

}  // namespace

void RegisterModel(CLI::App& root, std::function<int()>& action) {
  auto* model = root.add_subcommand("model", "convert, quantize, create and inspect model files");
  model->require_subcommand(1);
  model->footer(R"(Examples:
  aegaeon model convert --input stories260K.bin --tokenizer tok512.bin --output /tmp/s.gguf
  aegaeon model quantize --input /tmp/s.gguf --type q8_0 --output /tmp/s-q8.gguf
  aegaeon model dummy --preset llama-1b --type q8_0 --output /tmp/d.gguf
  aegaeon model dummy --preset llama-1b --type q4_k_m --output /tmp/d-q4km.gguf
  aegaeon model dummy --list
  aegaeon model info /tmp/d.gguf)");

  struct Args {
    std::string input, tokenizer, output, type = "f32", preset;
    std::string name, chat_template;
    uint64_t seed = 0;
    bool list = false, tensors = false;
    size_t max_elems = 8;
    engine::ModelConfig shape;
  };
  auto a = std::make_shared<Args>();

  auto* convert = model->add_subcommand(
      "convert",
      "convert a llama2.c model and its tokenizer to one GGUF file (tokenizer embedded)");
  convert->add_option("-i,--input", a->input, "llama2.c model (.bin)")->required();
  convert->add_option("--tokenizer", a->tokenizer, "llama2.c tokenizer (tok*.bin)")->required();
  convert->add_option("-o,--output", a->output, "GGUF file to write")->required();
  convert->add_option("--type", a->type, TypeHelp("weight type: f32 (default, exact)"));
  convert->callback([a, &action] {
    action = [a]() -> int {
      auto type = ParseType(a->type);
      if (!type.ok()) return Fail(type.message());
      std::shared_ptr<ProgressBar> bar;
      const Status s = engine::ConvertLlama2cToGguf(a->input, a->tokenizer, a->output, *type,
                                                    Progress(bar, a->output));
      if (!s.ok()) return Fail(s.message());
      fmt::print(stderr, "aegaeon model convert: wrote {} ({})\n", a->output,
                 HumanBytes(static_cast<double>(std::filesystem::file_size(a->output))));
      return 0;
    };
  });

  auto* quantize = model->add_subcommand(
      "quantize",
      "rewrite a GGUF model's weight matrices in another type (q8_0, q4_k_m, f16, ...)");
  quantize->add_option("-i,--input", a->input, "GGUF model")->required();
  quantize->add_option("-o,--output", a->output, "GGUF file to write")->required();
  quantize->add_option("--type", a->type, TypeHelp("weight type"))->required();
  quantize->callback([a, &action] {
    action = [a]() -> int {
      auto type = ParseType(a->type);
      if (!type.ok()) return Fail(type.message());
      std::shared_ptr<ProgressBar> bar;
      const Status s = engine::QuantizeGguf(a->input, a->output, *type, Progress(bar, a->output));
      if (!s.ok()) return Fail(s.message());
      fmt::print(stderr, "aegaeon model quantize: wrote {} ({})\n", a->output,
                 HumanBytes(static_cast<double>(std::filesystem::file_size(a->output))));
      return 0;
    };
  });

  auto* dummy = model->add_subcommand(
      "dummy", "write a random-weight GGUF model of a real shape, for speed and scheduling tests");
  dummy->add_option("--preset", a->preset, "shape preset (see --list), e.g. llama-1b, qwen2-0.5b");
  dummy->add_flag("--list", a->list, "list the presets and exit");
  dummy->add_option("-o,--output", a->output, "GGUF file to write");
  dummy->add_option("--type", a->type, TypeHelp("weight type: f32 (default)"));
  dummy->add_option("--seed", a->seed, "random seed for the weights (default 0)");
  dummy->add_option("--name", a->name, "general.name to record (default: the preset's name)");
  dummy
      ->add_option("--chat-template", a->chat_template,
                   "a file with a Jinja chat template to record as tokenizer.chat_template (as "
                   "the real model's GGUF carries it; the server recognises ChatML, Llama 3 and "
                   "Llama 2 templates)")
      ->check(CLI::ExistingFile);
  auto& sh = a->shape;
  dummy->add_option("--arch", sh.architecture, "override: llama or qwen2");
  dummy->add_option("--dim", sh.dim, "override: embedding width");
  dummy->add_option("--hidden-dim", sh.hidden_dim, "override: feed-forward width");
  dummy->add_option("--layers", sh.n_layers, "override: number of layers");
  dummy->add_option("--heads", sh.n_heads, "override: attention heads");
  dummy->add_option("--kv-heads", sh.n_kv_heads, "override: key/value heads");
  dummy->add_option("--vocab", sh.vocab_size, "override: vocabulary size (>= 512)");
  dummy->add_option("--context", sh.seq_len, "override: context length");
  sh.architecture.clear();
  dummy->callback([a, &action] {
    action = [a]() -> int {
      if (a->list) {
        for (const auto& p : engine::ModelPresets()) {
          fmt::print("{:<12} {:<6} {:>6.2f} B parameters  {}\n", p.name, p.config.architecture,
                     static_cast<double>(engine::ParameterCount(p.config, p.tied)) / 1e9,
                     p.description);
        }
        return 0;
      }
      if (a->preset.empty() || a->output.empty()) {
        return Fail("model dummy needs --preset NAME and --output FILE (see --list for presets)");
      }
      const engine::ModelPreset* preset = engine::FindModelPreset(a->preset);
      if (!preset) {
        return Fail(
            fmt::format("unknown preset '{}'; `aegaeon model dummy --list` shows them", a->preset));
      }
      auto type = ParseType(a->type);
      if (!type.ok()) return Fail(type.message());
      engine::ModelConfig c = preset->config;
      const engine::ModelConfig& o = a->shape;
      if (!o.architecture.empty()) {
        if (o.architecture != "llama" && o.architecture != "qwen2")
          return Fail("--arch must be llama or qwen2");
        c.architecture = o.architecture;
        c.rope_neox = c.architecture == "qwen2";
      }
      for (auto [value, field] : {std::pair{o.dim, &c.dim},
                                  {o.hidden_dim, &c.hidden_dim},
                                  {o.n_layers, &c.n_layers},
                                  {o.n_heads, &c.n_heads},
                                  {o.n_kv_heads, &c.n_kv_heads},
                                  {o.vocab_size, &c.vocab_size},
                                  {o.seq_len, &c.seq_len}}) {
        if (value < 0) return Fail("shape overrides must be positive");
        if (value > 0) *field = value;
      }
      std::string chat_template;
      if (!a->chat_template.empty()) {
        auto t = ReadFileToString(a->chat_template);
        if (!t.ok()) return Fail(t.message());
        chat_template = std::move(t).value();
      }
      std::shared_ptr<ProgressBar> bar;
      const Status s = engine::WriteRandomModel(c, preset->tied, *type, a->seed, a->output,
                                                a->name.empty() ? preset->name : a->name,
                                                Progress(bar, a->output), chat_template);
      if (!s.ok()) return Fail(s.message());
      fmt::print(stderr, "aegaeon model dummy: wrote {} ({}, {:.3f} B parameters)\n", a->output,
                 HumanBytes(static_cast<double>(std::filesystem::file_size(a->output))),
                 static_cast<double>(engine::ParameterCount(c, preset->tied)) / 1e9);
      return 0;
    };
  });

  auto* info = model->add_subcommand("info", "print a model file's metadata, tensors and shape");
  info->add_option("file", a->input, "GGUF or llama2.c model")->required();
  info->add_flag("--tensors", a->tensors, "list every tensor (name, type, shape, offset)");
  info->add_option("--max-elems", a->max_elems, "array elements to show per key (default 8)");
  info->callback(
      [a, &action] { action = [a]() -> int { return Info(a->input, a->tensors, a->max_elems); }; });
}

}  // namespace llms::aegaeon::cli
