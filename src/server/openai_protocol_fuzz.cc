// libFuzzer target: request bodies for the OpenAI API. Whatever the bytes, parsing returns
// parameters or a 4xx error (never crashes, never a 5xx), and what it builds from them (chat
// prompts, responses, error objects) is produced without fault. Run by scripts/fuzz.sh.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/text_stream.h"
#include "server/chat_template.h"
#include "server/openai_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (bool chat : {false, true}) {
    auto r = llms::server::ParseGenerationRequest(body, chat);
    if (auto* e = std::get_if<llms::server::ApiError>(&r)) {
      if (e->status < 400 || e->status >= 500) std::abort();
      (void)llms::server::ErrorBody(*e);
      continue;
    }
    const auto& p = std::get<llms::server::GenerationParams>(r);
    for (auto f : {llms::server::ChatFormat::kChatMl, llms::server::ChatFormat::kLlama3,
                   llms::server::ChatFormat::kLlama2, llms::server::ChatFormat::kPlain}) {
      (void)llms::server::RenderChat(f, p.messages);
    }
    (void)llms::server::CompletionResponse(p, "id", 0, p.prompt_text, "stop", {1, 2});
    (void)llms::server::StreamChunk(p, "id", 0, p.prompt_text, "", true);
    (void)llms::engine::StopPrefixHold(p.prompt_text, p.stop);
  }
  return 0;
}
