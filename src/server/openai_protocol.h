// The OpenAI API's wire format as the server speaks it: parsing and validating the bodies of
// POST /v1/completions and /v1/chat/completions into GenerationParams (or the ApiError, with the
// HTTP status an OpenAI client expects), and building responses, stream chunks and error objects.
// No I/O here: the HTTP layer (http_server.h) feeds bodies in and writes what comes out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace llms::server {

// An OpenAI error object with its HTTP status:
// {"error": {"message": ..., "type": ..., "param": ..., "code": ...}}.
struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // the offending field, empty when none
  std::string code;   // e.g. "model_not_found", empty when none
};
std::string ErrorBody(const ApiError& e);

ApiError BadRequest(std::string message, std::string param = "");

struct ChatMessage {
  std::string role;  // system, developer, user, assistant or tool
  std::string content;
};

struct GenerationParams {
  bool chat = false;
  std::string model;
  // Completions: a text prompt, or token ids (`prompt: [1, 2, 3]`, exact lengths for benchmarks).
  std::string prompt_text;
  std::vector<int32_t> prompt_tokens;
  bool prompt_is_tokens = false;
  std::vector<ChatMessage> messages;  // chat
  std::optional<int> max_tokens;      // absent: completions 16, chat the rest of the context
  float temperature = 1.0f;
  float top_p = 1.0f;
  int top_k = 0;  // extension (vLLM's): 0 off
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;  // up to 4 strings
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool ignore_eos = false;     // extension (vLLM's): produce max_tokens even past EOS
};

// Parses a request body for /v1/completions (`chat` false) or /v1/chat/completions.
std::variant<GenerationParams, ApiError> ParseGenerationRequest(std::string_view body, bool chat);

struct Usage {
  int prompt_tokens = 0, completion_tokens = 0;
};

// A whole (non-streamed) response. `finish_reason`: "stop" or "length".
std::string CompletionResponse(const GenerationParams& p, const std::string& id, int64_t created,
                               const std::string& text, const std::string& finish_reason,
                               const Usage& usage);

// One SSE event ("data: {...}\n\n") of a streamed response carrying `text`; a non-empty
// `finish_reason` marks the last content chunk.
std::string StreamChunk(const GenerationParams& p, const std::string& id, int64_t created,
                        const std::string& text, const std::string& finish_reason,
                        bool first_chat_chunk);
// The usage chunk sent before [DONE] when stream_options.include_usage is set.
std::string UsageChunk(const GenerationParams& p, const std::string& id, int64_t created,
                       const Usage& usage);
// An error inside a stream (after the 200 header went out): an SSE event holding the error object.
std::string StreamError(const ApiError& e);
inline constexpr std::string_view kStreamDone = "data: [DONE]\n\n";

// GET /v1/models: `max_model_len` (vLLM's field) tells benchmark clients each model's context.
struct ModelCard {
  std::string id;
  int64_t created = 0;
  int max_model_len = 0;
};
std::string ModelList(const std::vector<ModelCard>& models);
std::string ModelObject(const ModelCard& model);  // GET /v1/models/{id}

// Appends `s` (valid UTF-8) as a JSON string literal, quotes included.
void AppendJsonString(std::string* out, std::string_view s);

// Where a stop string begins in `text` (the earliest of all), or npos.
size_t FindStop(std::string_view text, const std::vector<std::string>& stop);
// How many trailing bytes of `text` could be the start of a stop string: streamed text holds
// them back until the next piece decides.
size_t StopPrefixHold(std::string_view text, const std::vector<std::string>& stop);

}  // namespace llms::server
