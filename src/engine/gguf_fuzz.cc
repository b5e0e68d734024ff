// libFuzzer target for the GGUF reader and what reads its results: parse arbitrary bytes, then
// (when they parse) interpret them as a model and a tokenizer, and format every metadata value.
// Any crash, sanitizer report or timeout is a bug. Built and run by scripts/fuzz.sh (clang only).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/gguf.h"
#include "engine/gguf_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace llms::engine;
  auto f = GgufFile::Parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  if (!f.ok()) return 0;
  for (const auto& kv : f->metadata()) (void)FormatGgufValue(kv.second);
  auto model = LoadGgufModel(*f);
  if (model.ok()) {
    // Touch the first and last byte of every tensor the model views: all must be in bounds.
    uint8_t sum = 0;
    for (const Tensor* t : model->AllTensors()) {
      const auto* p = static_cast<const uint8_t*>(t->data);
      sum = static_cast<uint8_t>(sum ^ p[0] ^ p[t->bytes() - 1]);
    }
    volatile uint8_t sink = sum;  // keeps the reads
    (void)sink;
  }
  auto tok = LoadGgufTokenizer(*f);
  if (tok.ok()) (void)(*tok)->Encode("Hello world", true);
  return 0;
}
