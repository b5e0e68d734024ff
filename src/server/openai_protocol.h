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
  float frequency_penalty = 0.0f, presence_penalty = 0.0f;  // -2 to 2
  float repetition_penalty = 1.0f;                          // extension (vLLM's): > 0
  int repeat_last_n = 64;  // extension (llama.cpp's): the penalty's window; -1 all, 0 off
  float min_p = 0.0f;      // extension (vLLM's, llama.cpp's): 0 to 1
  std::vector<std::pair<int32_t, float>> logit_bias;  // token id -> -100 to 100
  // Completions: `logprobs` N (0-20); chat: `logprobs` true with `top_logprobs` N (0-20).
  std::optional<int> logprobs;
  bool echo = false;  // completions: the prompt's text before the completion
};

// Most alternatives `logprobs`/`top_logprobs` may ask for.
inline constexpr int kMaxTopLogprobs = 20;

// Parses a request body for /v1/completions (`chat` false) or /v1/chat/completions.
std::variant<GenerationParams, ApiError> ParseGenerationRequest(std::string_view body, bool chat);

struct Usage {
  int prompt_tokens = 0, completion_tokens = 0;
};

// One generated token's log-probability as the API reports it: the token's bytes (possibly part
// of a UTF-8 character), its logprob, and the most likely alternatives.
struct TokenLogprobJson {
  std::string token;
  float logprob = 0;
  std::vector<std::pair<std::string, float>> top;
};

// A whole (non-streamed) response. `finish_reason`: "stop" or "length". `logprobs`: one per
// generated token when the request asked for them; `text_offset` is where `text` begins (the
// echoed prompt's length) for the completions format's offsets.
std::string CompletionResponse(const GenerationParams& p, const std::string& id, int64_t created,
                               const std::string& text, const std::string& finish_reason,
                               const Usage& usage,
                               const std::vector<TokenLogprobJson>* logprobs = nullptr,
                               size_t text_offset = 0);

// One SSE event ("data: {...}\n\n") of a streamed response carrying `text` (and the logprobs of
// the tokens it covers when asked for); a non-empty `finish_reason` marks the last content chunk.
std::string StreamChunk(const GenerationParams& p, const std::string& id, int64_t created,
                        const std::string& text, const std::string& finish_reason,
                        bool first_chat_chunk,
                        const std::vector<TokenLogprobJson>* logprobs = nullptr,
                        size_t text_offset = 0);
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

}  // namespace llms::server
