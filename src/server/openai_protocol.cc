// Request validation and response building for the OpenAI completions and chat APIs.
#include "server/openai_protocol.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

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

std::optional<ApiError> ReadAll(const json& body, bool chat, GenerationParams* p) {
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
    const int64_t v = it->get<int64_t>();
    if (v < 1 || v > 1'000'000) {
      return BadRequest(fmt::format("'{}' must be at least 1, got {}", field, v), field);
    }
    p->max_tokens = static_cast<int>(v);
  }
  if (auto e = ReadNumber(body, "temperature", 0.0, 2.0, &p->temperature)) return e;
  if (auto e = ReadNumber(body, "top_p", 0.0, 1.0, &p->top_p)) return e;
  if (p->top_p <= 0.0f) return BadRequest("'top_p' must be greater than 0", "top_p");
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

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          *out += fmt::format("\\u{:04x}", c);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

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

std::string CompletionResponse(const GenerationParams& p, const std::string& id, int64_t created,
                               const std::string& text, const std::string& finish_reason,
                               const Usage& usage) {
  json j = Envelope(p, id, created, false);
  json choice = {{"index", 0}, {"finish_reason", finish_reason}};
  if (p.chat) {
    choice["message"] = {{"role", "assistant"}, {"content", text}};
  } else {
    choice["text"] = text;
    choice["logprobs"] = nullptr;
  }
  j["choices"] = json::array({choice});
  j["usage"] = UsageJson(usage);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string StreamChunk(const GenerationParams& p, const std::string& id, int64_t created,
                        const std::string& text, const std::string& finish_reason,
                        bool first_chat_chunk) {
  // Written directly rather than through a JSON tree: this runs once per token per stream.
  std::string out = "data: {\"id\":";
  out.reserve(160 + text.size() + p.model.size());
  AppendJsonString(&out, id);
  out += p.chat ? ",\"object\":\"chat.completion.chunk\"" : ",\"object\":\"text_completion\"";
  out += ",\"created\":" + std::to_string(created) + ",\"model\":";
  AppendJsonString(&out, p.model);
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
      AppendJsonString(&out, text);
    }
    out += "},";
  } else {
    out += "\"text\":";
    AppendJsonString(&out, text);
    out += ",\"logprobs\":null,";
  }
  out += "\"finish_reason\":";
  if (finish_reason.empty()) {
    out += "null";
  } else {
    AppendJsonString(&out, finish_reason);
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

size_t FindStop(std::string_view text, const std::vector<std::string>& stop) {
  size_t best = std::string_view::npos;
  for (const std::string& s : stop) best = std::min(best, text.find(s));
  return best;
}

size_t StopPrefixHold(std::string_view text, const std::vector<std::string>& stop) {
  size_t hold = 0;
  for (const std::string& s : stop) {
    for (size_t k = std::min(s.size() - 1, text.size()); k > hold; --k) {
      if (text.substr(text.size() - k) == std::string_view(s).substr(0, k)) {
        hold = k;
        break;
      }
    }
  }
  return hold;
}

}  // namespace llms::server
