// `aegaeon run` implementation.
#include "run_command.h"

#include <cstdio>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "core/huge_pages.h"
#include "core/text.h"
#include "engine/generation.h"
#include "engine/model_loader.h"
#include "engine/weights_arena.h"
#include "errors.h"

namespace llms::aegaeon::cli {

namespace {
struct RunArgs {
  std::string model, tokenizer, prompt;
  std::vector<std::string> logit_bias;  // TOKEN=BIAS
  engine::GenerationOptions gen;
  bool quiet = false, hugepages = false;
};

}  // namespace

void RegisterRun(CLI::App& root, std::function<int()>& action) {
  auto* app = root.add_subcommand("run", "generate text for one prompt with the CPU engine");
  app->footer(R"(Examples:
  aegaeon run --model ../shared/models/stories260K/stories260K.bin --tokenizer ../shared/models/stories260K/tok512.bin \
      --prompt "Once upon a time" --temperature 0 --max-tokens 100
  aegaeon run --model /tmp/s.gguf --prompt "Tom" --temperature 0.8 --top-p 0.9 --seed 42 --stop "."
  aegaeon run --model /tmp/d.gguf --prompt "hello" --max-tokens 32 --threads 2 --hugepages)");
  auto a = std::make_shared<RunArgs>();
  a->gen.sampling.temperature = 1.0f;
  app->add_option("-m,--model", a->model,
                  "model file: GGUF (tokenizer embedded) or llama2.c .bin (needs --tokenizer)")
      ->required();
  app->add_option("--tokenizer", a->tokenizer,
                  "llama2.c tokenizer file (tok*.bin); required for .bin models, replaces a GGUF "
                  "model's own");
  app->add_option("-p,--prompt", a->prompt, "the prompt (default: empty)");
  app->add_option("-n,--max-tokens", a->gen.max_tokens, "tokens to generate (default 256)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("-t,--temperature", a->gen.sampling.temperature, "0 for greedy (default 1.0)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--top-k", a->gen.sampling.top_k, "keep the k most likely tokens (default off)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--top-p", a->gen.sampling.top_p, "nucleus sampling mass (default 1 = off)")
      ->check(CLI::Range(0.0, 1.0));
  app->add_option("--repetition-penalty", a->gen.sampling.repetition_penalty,
                  "> 1 discourages repeats, once per distinct token of the last --repeat-last-n "
                  "(default 1)")
      ->check(CLI::PositiveNumber);
  app->add_option("--repeat-last-n", a->gen.sampling.repeat_last_n,
                  "the repetition penalty's window in tokens (default 64, as llama.cpp; -1: the "
                  "whole context; 0: off)")
      ->check(CLI::Range(-1, 1 << 24));
  app->add_option("--min-p", a->gen.sampling.min_p,
                  "keep tokens at least this fraction as likely as the most likely (default 0: "
                  "off)")
      ->check(CLI::Range(0.0, 1.0));
  app->add_option("--frequency-penalty", a->gen.sampling.frequency_penalty,
                  "OpenAI's: subtract this times a token's count in the output (default 0)")
      ->check(CLI::Range(-2.0, 2.0));
  app->add_option("--presence-penalty", a->gen.sampling.presence_penalty,
                  "OpenAI's: subtract this from tokens already in the output (default 0)")
      ->check(CLI::Range(-2.0, 2.0));
  app->add_option("--logit-bias", a->logit_bias,
                  "TOKEN=BIAS: add BIAS (-100 to 100, as the OpenAI API) to token id TOKEN's logit "
                  "(repeatable; -100 all but bans a token)");
  app->add_option("-s,--seed", a->gen.sampling.seed, "random seed for sampling (default 0)");
  app->add_option("--stop", a->gen.stop, "stop when this text appears (repeatable; not printed)");
  app->add_option("--threads", a->gen.threads, "compute threads (default 0: one per core)")
      ->check(CLI::NonNegativeNumber);
  app->add_flag("--hugepages", a->hugepages,
                "copy the weights from the file mapping into memory on transparent huge pages "
                "before generating (as a server instance holds them): costs the model's size in "
                "memory and a copy at start, decode of a 1B model measured about 1.7x as fast");
  app->add_flag("-q,--quiet", a->quiet, "no statistics on stderr");
  app->callback([a, &action] {
    action = [a]() -> int {
      auto loaded = engine::LoadModelFiles(a->model, a->tokenizer);
      if (!loaded.ok()) return Fail(loaded.message());
      for (const std::string& entry : a->logit_bias) {
        int token = -1;
        float bias = 0;
        char rest = 0;
        if (std::sscanf(entry.c_str(), "%d=%f%c", &token, &bias, &rest) != 2 || token < 0 ||
            token >= loaded->model.config.vocab_size || !(bias >= -100 && bias <= 100)) {
          return Fail(fmt::format(
              "--logit-bias {}: expected TOKEN=BIAS with a token id below {} and a bias from "
              "-100 to 100, e.g. --logit-bias 42=-100",
              entry, loaded->model.config.vocab_size));
        }
        a->gen.sampling.logit_bias.emplace_back(token, bias);
      }
      std::optional<engine::PlacedModel> placed;
      if (a->hugepages) {
        auto p = engine::PlaceOnHugePages(loaded->model);
        if (!p.ok()) {
          return Fail("--hugepages: " + p.message() +
                      "; run without --hugepages to read them from the file mapping");
        }
        placed = std::move(p).value();
      }
      const engine::Model& model = placed ? placed->model : loaded->model;
      const engine::Tokenizer& tok = *loaded->tokenizer;
      auto result = engine::GenerateText(model, tok, a->prompt, a->gen, [](std::string_view text) {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
      });
      std::fputc('\n', stdout);
      if (!result.ok()) return Fail(result.message());
      if (!a->quiet) {
        const double pre = result->prefill_seconds, dec = result->decode_seconds;
        fmt::print(stderr,
                   "aegaeon run: {} prompt tokens ({:.1f} tok/s prefill), {} generated ({:.1f} "
                   "tok/s decode), finish: {}\n",
                   result->prompt_tokens.size(), pre > 0 ? result->prompt_tokens.size() / pre : 0.0,
                   result->tokens.size(), dec > 0 ? result->tokens.size() / dec : 0.0,
                   result->finish_reason);
        // Decode streams every weight once per token: on 4 KiB pages it is page-walk bound.
        const std::string_view file = loaded->model.file ? loaded->model.file->view() : "";
        const void* weights = placed ? static_cast<const void*>(placed->memory.get())
                                     : static_cast<const void*>(file.data());
        const size_t weight_bytes = placed ? engine::WeightsArenaBytes(loaded->model) : file.size();
        if (const auto share = HugePageShare(weights, weight_bytes)) {
          fmt::print(stderr, "aegaeon run: weights {} ({}), {:.0f}% on huge pages{}\n",
                     HumanBytes(static_cast<double>(weight_bytes)),
                     placed ? "copied to huge-page memory" : "file mapping", 100 * *share,
                     !placed && *share < 0.5 && weight_bytes >= (size_t{64} << 20)
                         ? "; decode reads them on 4 KiB pages: --hugepages copies them onto "
                           "huge pages"
                         : "");
        }
      }
      return 0;
    };
  });
}

}  // namespace llms::aegaeon::cli
