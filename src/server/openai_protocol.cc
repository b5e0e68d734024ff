// Request validation and response building for the OpenAI completions and chat APIs.
#include "server/openai_protocol.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/text.h"

namespace llms::server {
namespace {

using nlohmann::json;

json Nullable(const std::string& s) {
  return s.empty() ? json(nullptr) : json(s);
}

std::string TypeName(const json& v) {
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return "null";
}

ApiError WrongType(const std::string& field, const std::string& expected, const json& v) {
  return BadRequest(fmt::format("'{}' must be {}, not {}", field, expected, TypeName(v)), field);
}

// Reads an optional number field within [lo, hi]; returns an error message on a bad value.
std::optional<ApiError> ReadNumber(const json& body, const char* field, double lo, double hi,
                                   float* out) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) return WrongType(field, "a number", *it);
  const double v = it->get<double>();
  if (!std::isfinite(v) || v < lo || v > hi) {
    return BadRequest(fmt::format("'{}' must be between {} and {}, got {}", field, lo, hi, v),
                      field);
  }
  *out = static_cast<float>(v);
  return std::nullopt;
}

std::optional<ApiError> ReadBool(const json& body, const char* field, bool* out) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) return WrongType(field, "a boolean", *it);
  *out = it->get<bool>();
  return std::nullopt;
}

std::optional<ApiError> ReadContent(const json& v, size_t index, std::string* out) {
  const std::string field = fmt::format("messages[{}].content", index);
  if (v.is_string()) {
    *out = v.get<std::string>();
    return std::nullopt;
  }
  if (v.is_null()) return std::nullopt;  // an assistant turn with tool calls only
  if (!v.is_array()) return WrongType(field, "a string or an array of content parts", v);
  for (const json& part : v) {
    if (!part.is_object() || !part.contains("type") || part["type"] != "text" ||
        !part.contains("text") || !part["text"].is_string()) {
      return BadRequest(field +
                            ": only text parts ({\"type\": \"text\", \"text\": ...}) are "
                            "supported by these models",
                        field);
    }
    *out += part["text"].get<std::string>();
  }
  return std::nullopt;
}

std::optional<ApiError> ReadPrompt(const json& body, GenerationParams* p) {
  auto it = body.find("prompt");
  if (it == body.end() || it->is_null()) return BadRequest("'prompt' is required", "prompt");
  const json& v = *it;
  if (v.is_string() || (v.is_array() && v.size() == 1 && v[0].is_string())) {
    p->prompt_text = v.is_string() ? v.get<std::string>() : v[0].get<std::string>();
    // As vLLM does: an empty prompt would leave the model nothing (or only BOS) to continue.
    if (p->prompt_text.empty()) return BadRequest("'prompt' must not be empty", "prompt");
    return std::nullopt;
  }
  if (v.is_array() && !v.empty() && (v[0].is_number_integer() || v[0].is_number_unsigned())) {
    p->prompt_is_tokens = true;
    for (const json& t : v) {
      if (!(t.is_number_integer() || t.is_number_unsigned()) || t.get<int64_t>() < 0 ||
          t.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
        return BadRequest("'prompt' as token ids must hold non-negative integers only", "prompt");
      }
      p->prompt_tokens.push_back(static_cast<int32_t>(t.get<int64_t>()));
    }
    return std::nullopt;
  }
  if (v.is_array() && v.size() > 1) {
    return BadRequest("'prompt' with several prompts is not supported: send one per request",
                      "prompt");
  }
  return WrongType("prompt", "a string, an array of one string or an array of token ids", v);
}

std::optional<ApiError> ReadMessages(const json& body, GenerationParams* p) {
  auto it = body.find("messages");
  if (it == body.end() || it->is_null()) return BadRequest("'messages' is required", "messages");
  if (!it->is_array()) return WrongType("messages", "an array", *it);
  if (it->empty()) return BadRequest("'messages' must hold at least one message", "messages");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& m = (*it)[i];
    if (!m.is_object()) return WrongType(fmt::format("messages[{}]", i), "an object", m);
    auto role = m.find("role");
    if (role == m.end() || !role->is_string()) {
      return BadRequest(fmt::format("messages[{}].role is required (a string)", i),
                        fmt::format("messages[{}].role", i));
    }
    ChatMessage msg;
    msg.role = role->get<std::string>();
    if (msg.role != "system" && msg.role != "developer" && msg.role != "user" &&
        msg.role != "assistant" && msg.role != "tool") {
      return BadRequest(fmt::format("messages[{}].role '{}' is not one of system, developer, "
                                    "user, assistant, tool",
                                    i, msg.role),
                        fmt::format("messages[{}].role", i));
    }
    auto c = m.find("content");
    // Only an assistant turn (one that made tool calls) may come without content.
    if ((c == m.end() || c->is_null()) && msg.role != "assistant") {
      return BadRequest(
          fmt::format("messages[{}].content is required for a {} message", i, msg.role),
          fmt::format("messages[{}].content", i));
    }
    if (c != m.end()) {
      if (auto e = ReadContent(*c, i, &msg.content)) return e;
    }
    p->messages.push_back(std::move(msg));
  }
  return std::nullopt;
}

std::optional<ApiError> ReadStop(const json& body, GenerationParams* p) {
  auto it = body.find("stop");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) {
    if (!it->get<std::string>().empty()) p->stop.push_back(it->get<std::string>());
    return std::nullopt;
  }
  if (!it->is_array()) return WrongType("stop", "a string or an array of strings", *it);
  if (it->size() > 4) return BadRequest("'stop' takes at most 4 sequences", "stop");
  for (const json& s : *it) {
    if (!s.is_string()) return WrongType("stop", "a string or an array of strings", s);
    if (!s.get<std::string>().empty()) p->stop.push_back(s.get<std::string>());
  }
  return std::nullopt;
}

// Fields the server knows but does not implement: accepted at their default (or neutral) value,
// a 400 naming the field otherwise, rather than silently ignored.
std::optional<ApiError> RejectUnsupported(const json& body, bool chat) {
  auto unsupported = [](const std::string& field, const std::string& why) {
    return BadRequest(fmt::format("'{}' is not supported by this server: {}", field, why), field);
  };
  auto present = [&](const char* f) {
    auto it = body.find(f);
    return it != body.end() && !it->is_null();
  };
  auto empty = [&](const char* f) {
    auto it = body.find(f);
    return it == body.end() || it->is_null() || (it->is_array() && it->empty()) ||
           (it->is_object() && it->empty()) || (it->is_string() && it->get<std::string>().empty());
  };
  if (present("best_of")) {
    const json& v = body["best_of"];
    if (!v.is_number_integer() || v.get<int64_t>() != 1) {
      return unsupported("best_of", "send one request per completion (best_of 1)");
    }
  }
  if (!chat && !empty("suffix")) return unsupported("suffix", "only text after the prompt");
  if (!empty("tools") || !empty("functions")) {
    return unsupported(empty("tools") ? "functions" : "tools",
                       "the models here do not call tools; send plain messages");
  }
  for (const char* f : {"tool_choice", "function_call"}) {
    if (present(f) && !(body[f].is_string() && (body[f] == "none" || body[f] == "auto"))) {
      return unsupported(f, "there are no tools to choose");
    }
  }
  if (present("response_format")) {
    const json& v = body["response_format"];
    if (!v.is_object() || v.value("type", "") != "text") {
      return unsupported("response_format",
                         "structured output (json_object, json_schema) is not implemented; "
                         "use {\"type\": \"text\"}");
    }
  }
  if (present("modalities")) {
    const json& v = body["modalities"];
    if (!v.is_array() ||
        std::any_of(v.begin(), v.end(), [](const json& m) { return m != "text"; })) {
      return unsupported("modalities", "these models produce text only");
    }
  }
  for (const char* f : {"audio", "prediction", "web_search_options", "reasoning_effort",
                        "min_tokens", "stop_token_ids"}) {
    if (present(f)) return unsupported(f, "not implemented");
  }
  return std::nullopt;
}

// Every field a request may carry; anything else is refused, as OpenAI's API does.
std::optional<ApiError> RejectUnknown(const json& body, bool chat) {
  static const char* const kCommon[] = {"model",
                                        "max_tokens",
                                        "temperature",
                                        "top_p",
                                        "top_k",
                                        "seed",
                                        "n",
                                        "stop",
                                        "stream",
                                        "stream_options",
                                        "ignore_eos",
                                        "frequency_penalty",
                                        "presence_penalty",
                                        "repetition_penalty",
                                        "repeat_last_n",
                                        "logit_bias",
                                        "logprobs",
                                        "user",
                                        "metadata",
                                        "store",
                                        "service_tier",
                                        "best_of",
                                        "tools",
                                        "functions",
                                        "tool_choice",
                                        "function_call",
                                        "parallel_tool_calls",
                                        "response_format",
                                        "modalities",
                                        "audio",
                                        "prediction",
                                        "web_search_options",
                                        "reasoning_effort",
                                        "min_p",
                                        "min_tokens",
                                        "stop_token_ids",
                                        "prompt_cache_key",
                                        "safety_identifier"};
  static const char* const kCompletions[] = {"prompt", "echo", "suffix"};
  static const char* const kChat[] = {"messages", "max_completion_tokens", "top_logprobs"};
  for (const auto& item : body.items()) {
    // A named copy, not a structured binding: clang before 16 cannot capture those in lambdas.
    const std::string& key = item.key();
    auto is = [&key](const char* k) { return key == k; };
    if (std::any_of(std::begin(kCommon), std::end(kCommon), is)) continue;
    if (chat ? std::any_of(std::begin(kChat), std::end(kChat), is)
             : std::any_of(std::begin(kCompletions), std::end(kCompletions), is)) {
      continue;
    }
    return BadRequest(fmt::format("unrecognized request argument supplied: '{}'", key), key);
  }
  return std::nullopt;
}

std::optional<ApiError> ReadPenaltiesAndBias(const json& body, GenerationParams* p) {
  if (auto e = ReadNumber(body, "frequency_penalty", -2.0, 2.0, &p->frequency_penalty)) return e;
  if (auto e = ReadNumber(body, "presence_penalty", -2.0, 2.0, &p->presence_penalty)) return e;
  if (auto e = ReadNumber(body, "repetition_penalty", 0.0, 10.0, &p->repetition_penalty)) return e;
  if (p->repetition_penalty <= 0.0f) {
    return BadRequest("'repetition_penalty' must be greater than 0", "repetition_penalty");
  }
  if (auto it = body.find("repeat_last_n"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer()) return WrongType("repeat_last_n", "an integer", *it);
    const int64_t v = it->get<int64_t>();
    if (v < -1 || v > (1 << 24)) {
      return BadRequest("'repeat_last_n' must be -1 (the whole context), 0 (off) or positive",
                        "repeat_last_n");
    }
    p->repeat_last_n = static_cast<int>(v);
  }
  auto it = body.find("logit_bias");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) return WrongType("logit_bias", "an object of token ids to biases", *it);
  for (const auto& [key, value] : it->items()) {
    int64_t id = -1;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
    if (ec != std::errc() || end != key.data() + key.size() || id < 0 ||
        id > std::numeric_limits<int32_t>::max()) {
      return BadRequest(fmt::format("'logit_bias' keys must be token ids (non-negative "
                                    "integers), got '{}'",
                                    key),
                        "logit_bias");
    }
    if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < -100 ||
        value.get<double>() > 100) {
      return BadRequest(fmt::format("'logit_bias' values must be numbers from -100 to 100 "
                                    "(token {})",
                                    key),
                        "logit_bias");
    }
    p->logit_bias.emplace_back(static_cast<int32_t>(id), value.get<float>());
  }
  return std::nullopt;
}

std::optional<ApiError> ReadLogprobs(const json& body, bool chat, GenerationParams* p) {
  auto count = [&](const char* field) -> std::variant<int, ApiError> {
    const json& v = body[field];
    if (!v.is_number_integer()) return WrongType(field, "an integer", v);
    const int64_t n = v.get<int64_t>();
    if (n < 0 || n > kMaxTopLogprobs) {
      return BadRequest(
          fmt::format("'{}' must be between 0 and {}, got {}", field, kMaxTopLogprobs, n), field);
    }
    return static_cast<int>(n);
  };
  auto it = body.find("logprobs");
  const bool has_top = body.contains("top_logprobs") && !body["top_logprobs"].is_null();
  if (!chat) {
    if (auto e = ReadBool(body, "echo", &p->echo)) return e;
    if (it == body.end() || it->is_null()) return std::nullopt;
    auto n = count("logprobs");
    if (auto* e = std::get_if<ApiError>(&n)) return *e;
    p->logprobs = std::get<int>(n);
    if (p->echo) {
      return BadRequest(
          "'echo' with 'logprobs' is not supported: the prompt's logprobs are not "
          "computed",
          "echo");
    }
    return std::nullopt;
  }
  bool want = false;
  if (auto e = ReadBool(body, "logprobs", &want)) return e;
  if (has_top && !want) {
    return BadRequest("'top_logprobs' needs 'logprobs': true", "top_logprobs");
  }
  if (!want) return std::nullopt;
  p->logprobs = 0;
  if (has_top) {
    auto n = count("top_logprobs");
    if (auto* e = std::get_if<ApiError>(&n)) return *e;
    p->logprobs = std::get<int>(n);
  }
  return std::nullopt;
}

std::optional<ApiError> ReadAll(const json& body, bool chat, GenerationParams* p) {
  if (auto e = RejectUnknown(body, chat)) return e;
  if (auto e = RejectUnsupported(body, chat)) return e;
  auto model = body.find("model");
  if (model == body.end() || model->is_null()) return BadRequest("'model' is required", "model");
  if (!model->is_string()) return WrongType("model", "a string", *model);
  p->model = model->get<std::string>();
  if (auto e = chat ? ReadMessages(body, p) : ReadPrompt(body, p)) return e;

  for (const char* field : {"max_tokens", "max_completion_tokens"}) {
    auto it = body.find(field);
    if (it == body.end() || it->is_null()) continue;
    if (!(it->is_number_integer() || it->is_number_unsigned())) {
      return WrongType(field, "an integer", *it);
    }
    if (it->is_number_unsigned() && it->get<uint64_t>() > 1'000'000) {
      return BadRequest(
          fmt::format("'{}' must be between 1 and 1000000, got {}", field, it->get<uint64_t>()),
          field);
    }
    const int64_t v = it->get<int64_t>();
    if (v < 1 || v > 1'000'000) {
      return BadRequest(fmt::format("'{}' must be between 1 and 1000000, got {}", field, v), field);
    }
    p->max_tokens = static_cast<int>(v);
  }
  if (auto e = ReadNumber(body, "temperature", 0.0, 2.0, &p->temperature)) return e;
  if (auto e = ReadNumber(body, "top_p", 0.0, 1.0, &p->top_p)) return e;
  if (p->top_p <= 0.0f) return BadRequest("'top_p' must be greater than 0", "top_p");
  if (auto e = ReadNumber(body, "min_p", 0.0, 1.0, &p->min_p)) return e;
  if (auto it = body.find("top_k"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer()) return WrongType("top_k", "an integer", *it);
    const int64_t v = it->get<int64_t>();
    if (v < -1 || v > 1'000'000) return BadRequest("'top_k' must be -1, 0 or positive", "top_k");
    p->top_k = v < 0 ? 0 : static_cast<int>(v);
  }
  if (auto it = body.find("seed"); it != body.end() && !it->is_null()) {
    if (!(it->is_number_integer() || it->is_number_unsigned())) {
      return WrongType("seed", "an integer", *it);
    }
    p->seed =
        it->is_number_unsigned() ? it->get<uint64_t>() : static_cast<uint64_t>(it->get<int64_t>());
  }
  if (auto it = body.find("n"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer()) return WrongType("n", "an integer", *it);
    if (it->get<int64_t>() != 1) {
      return BadRequest("'n' other than 1 is not supported: send one request per completion", "n");
    }
  }
  if (auto e = ReadStop(body, p)) return e;
  if (auto e = ReadPenaltiesAndBias(body, p)) return e;
  if (auto e = ReadLogprobs(body, chat, p)) return e;
  if (auto e = ReadBool(body, "stream", &p->stream)) return e;
  if (auto e = ReadBool(body, "ignore_eos", &p->ignore_eos)) return e;
  if (auto it = body.find("stream_options"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return WrongType("stream_options", "an object", *it);
    if (auto e = ReadBool(*it, "include_usage", &p->include_usage)) {
      e->param = "stream_options.include_usage";
      return e;
    }
  }
  return std::nullopt;
}

json UsageJson(const Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.prompt_tokens + u.completion_tokens}};
}

json Envelope(const GenerationParams& p, const std::string& id, int64_t created, bool chunk) {
  return {{"id", id},
          {"object",
           p.chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion"},
          {"created", created},
          {"model", p.model}};
}

std::string Event(const json& j) {
  // Invalid UTF-8 cannot occur (text is assembled by Utf8Stream) but is replaced, never thrown.
  return "data: " + j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

}  // namespace

ApiError BadRequest(std::string message, std::string param) {
  ApiError e;
  e.status = 400;
  e.message = std::move(message);
  e.param = std::move(param);
  return e;
}

std::string ErrorBody(const ApiError& e) {
  json j = {{"error",
             {{"message", e.message},
              {"type", e.type},
              {"param", Nullable(e.param)},
              {"code", Nullable(e.code)}}}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::variant<GenerationParams, ApiError> ParseGenerationRequest(std::string_view body, bool chat) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return BadRequest("the request body is not valid JSON: send a JSON object with 'model' and " +
                      std::string(chat ? "'messages'" : "'prompt'"));
  }
  if (!j.is_object())
    return BadRequest("the request body must be a JSON object, not " + TypeName(j));
  GenerationParams p;
  p.chat = chat;
  if (auto e = ReadAll(j, chat, &p)) return *e;
  return p;
}

namespace {

json BytesJson(const std::string& s) {
  json b = json::array();
  for (unsigned char c : s) b.push_back(static_cast<int>(c));
  return b;
}

// The `logprobs` object of a choice (chat: {"content": [...]}; completions: parallel arrays).
json LogprobsJson(const GenerationParams& p, const std::vector<TokenLogprobJson>& entries,
                  size_t text_offset) {
  if (p.chat) {
    json content = json::array();
    for (const TokenLogprobJson& e : entries) {
      json top = json::array();
      for (const auto& [tok, lp] : e.top) {
        top.push_back({{"token", tok}, {"logprob", lp}, {"bytes", BytesJson(tok)}});
      }
      content.push_back({{"token", e.token},
                         {"logprob", e.logprob},
                         {"bytes", BytesJson(e.token)},
                         {"top_logprobs", top}});
    }
    return {{"content", content}, {"refusal", nullptr}};
  }
  json tokens = json::array(), lps = json::array(), tops = json::array(), offsets = json::array();
  size_t offset = text_offset;
  for (const TokenLogprobJson& e : entries) {
    tokens.push_back(e.token);
    lps.push_back(e.logprob);
    json top = json::object();
    for (const auto& [tok, lp] : e.top) {
      if (!top.contains(tok)) top[tok] = lp;
    }
    tops.push_back(top);
    offsets.push_back(offset);
    offset += e.token.size();
  }
  return {{"tokens", tokens},
          {"token_logprobs", lps},
          {"top_logprobs", tops},
          {"text_offset", offsets}};
}

}  // namespace

std::string CompletionResponse(const GenerationParams& p, const std::string& id, int64_t created,
                               const std::string& text, const std::string& finish_reason,
                               const Usage& usage, const std::vector<TokenLogprobJson>* logprobs,
                               size_t text_offset) {
  json j = Envelope(p, id, created, false);
  json choice = {{"index", 0}, {"finish_reason", finish_reason}};
  const bool with_logprobs = p.logprobs.has_value() && logprobs != nullptr;
  if (p.chat) {
    choice["message"] = {{"role", "assistant"}, {"content", text}};
    choice["logprobs"] = with_logprobs ? LogprobsJson(p, *logprobs, 0) : json(nullptr);
  } else {
    choice["text"] = text;
    choice["logprobs"] = with_logprobs ? LogprobsJson(p, *logprobs, text_offset) : json(nullptr);
  }
  j["choices"] = json::array({choice});
  j["usage"] = UsageJson(usage);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string StreamChunk(const GenerationParams& p, const std::string& id, int64_t created,
                        const std::string& text, const std::string& finish_reason,
                        bool first_chat_chunk, const std::vector<TokenLogprobJson>* logprobs,
                        size_t text_offset) {
  if (p.logprobs.has_value() && logprobs != nullptr && !logprobs->empty()) {
    // Rare and larger: built as a JSON tree.
    json j = Envelope(p, id, created, true);
    json choice = {{"index", 0},
                   {"finish_reason", finish_reason.empty() ? json(nullptr) : json(finish_reason)},
                   {"logprobs", LogprobsJson(p, *logprobs, text_offset)}};
    if (p.chat) {
      json delta = {{"content", text}};
      if (first_chat_chunk) delta["role"] = "assistant";
      choice["delta"] = delta;
    } else {
      choice["text"] = text;
    }
    j["choices"] = json::array({choice});
    return Event(j);
  }
  // Written directly rather than through a JSON tree: this runs once per token per stream.
  std::string out = "data: {\"id\":";
  out.reserve(160 + text.size() + p.model.size());
  AppendJsonString(out, id);
  out += p.chat ? ",\"object\":\"chat.completion.chunk\"" : ",\"object\":\"text_completion\"";
  out += ",\"created\":" + std::to_string(created) + ",\"model\":";
  AppendJsonString(out, p.model);
  out += ",\"choices\":[{\"index\":0,";
  if (p.chat) {
    out += "\"delta\":{";
    bool comma = false;
    if (first_chat_chunk) {
      out += "\"role\":\"assistant\"";
      comma = true;
    }
    if (!text.empty() || finish_reason.empty()) {
      out += comma ? ",\"content\":" : "\"content\":";
      AppendJsonString(out, text);
    }
    out += "},\"logprobs\":null,";
  } else {
    out += "\"text\":";
    AppendJsonString(out, text);
    out += ",\"logprobs\":null,";
  }
  out += "\"finish_reason\":";
  if (finish_reason.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, finish_reason);
  }
  out += "}]}\n\n";
  return out;
}

std::string UsageChunk(const GenerationParams& p, const std::string& id, int64_t created,
                       const Usage& usage) {
  json j = Envelope(p, id, created, true);
  j["choices"] = json::array();
  j["usage"] = UsageJson(usage);
  return Event(j);
}

std::string StreamError(const ApiError& e) {
  return "data: " + ErrorBody(e) + "\n\n";
}

namespace {

json ModelJson(const ModelCard& m) {
  return {{"id", m.id},
          {"object", "model"},
          {"created", m.created},
          {"owned_by", "aegaeon"},
          {"max_model_len", m.max_model_len}};
}

}  // namespace

std::string ModelList(const std::vector<ModelCard>& models) {
  json data = json::array();
  for (const ModelCard& m : models) data.push_back(ModelJson(m));
  return json{{"object", "list"}, {"data", data}}.dump();
}

std::string ModelObject(const ModelCard& model) {
  return ModelJson(model).dump();
}

}  // namespace llms::server
