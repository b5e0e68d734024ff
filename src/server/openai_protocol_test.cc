// Request validation (the 400 table) and response shapes of the OpenAI protocol layer.
#include "server/openai_protocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace llms::server {
namespace {

using nlohmann::json;

ApiError ErrorOf(const std::string& body, bool chat = false) {
  auto r = ParseGenerationRequest(body, chat);
  EXPECT_TRUE(std::holds_alternative<ApiError>(r)) << body;
  return std::holds_alternative<ApiError>(r) ? std::get<ApiError>(r) : ApiError{};
}

GenerationParams ParamsOf(const std::string& body, bool chat = false) {
  auto r = ParseGenerationRequest(body, chat);
  EXPECT_TRUE(std::holds_alternative<GenerationParams>(r))
      << body << ": " << (std::holds_alternative<ApiError>(r) ? std::get<ApiError>(r).message : "");
  return std::holds_alternative<GenerationParams>(r) ? std::get<GenerationParams>(r)
                                                     : GenerationParams{};
}

TEST(OpenAiProtocolTest, ParsesACompletionRequest) {
  const GenerationParams p = ParamsOf(
      R"({"model":"m","prompt":"Hi","max_tokens":5,"temperature":0,"top_p":0.9,"seed":7,
          "stop":["\n","END"],"stream":true,"stream_options":{"include_usage":true}})");
  EXPECT_EQ(p.model, "m");
  EXPECT_EQ(p.prompt_text, "Hi");
  EXPECT_EQ(p.max_tokens, 5);
  EXPECT_EQ(p.temperature, 0.0f);
  EXPECT_FLOAT_EQ(p.top_p, 0.9f);
  EXPECT_EQ(p.seed, 7u);
  EXPECT_EQ(p.stop, (std::vector<std::string>{"\n", "END"}));
  EXPECT_TRUE(p.stream);
  EXPECT_TRUE(p.include_usage);
}

TEST(OpenAiProtocolTest, TokenIdPromptsAndChatContentParts) {
  const GenerationParams p = ParamsOf(R"({"model":"m","prompt":[1,2,3]})");
  EXPECT_TRUE(p.prompt_is_tokens);
  EXPECT_EQ(p.prompt_tokens, (std::vector<int32_t>{1, 2, 3}));
  const GenerationParams c = ParamsOf(
      R"({"model":"m","messages":[{"role":"system","content":"Be brief."},
          {"role":"user","content":[{"type":"text","text":"Hello "},{"type":"text","text":"there"}]}],
          "max_completion_tokens":3})",
      true);
  ASSERT_EQ(c.messages.size(), 2u);
  EXPECT_EQ(c.messages[1].content, "Hello there");
  EXPECT_EQ(c.max_tokens, 3);
}

TEST(OpenAiProtocolTest, RejectsMalformedBodiesWith400AndTheField) {
  EXPECT_EQ(ErrorOf("{not json").status, 400);
  EXPECT_NE(ErrorOf("[1,2]").message.find("JSON object"), std::string::npos);
  EXPECT_EQ(ErrorOf(R"({"prompt":"x"})").param, "model");
  EXPECT_EQ(ErrorOf(R"({"model":5,"prompt":"x"})").param, "model");
  EXPECT_EQ(ErrorOf(R"({"model":"m"})").param, "prompt");
  EXPECT_EQ(ErrorOf(R"({"model":"m","prompt":"x","max_tokens":"ten"})").param, "max_tokens");
  EXPECT_EQ(ErrorOf(R"({"model":"m","prompt":"x","max_tokens":0})").param, "max_tokens");
  EXPECT_EQ(ErrorOf(R"({"model":"m","prompt":"x","temperature":3})").param, "temperature");
  EXPECT_EQ(ErrorOf(R"({"model":"m","prompt":"x","top_p":0})").param, "top_p");
  EXPECT_EQ(ErrorOf(R"({"model":"m","prompt":"x","n":2})").param, "n");
  EXPECT_EQ(ErrorOf(R"({"model":"m","prompt":"x","stop":[1]})").param, "stop");
  EXPECT_EQ(ErrorOf(R"({"model":"m","prompt":"x","stop":["a","b","c","d","e"]})").param, "stop");
  EXPECT_EQ(ErrorOf(R"({"model":"m","prompt":"x","stream":"yes"})").param, "stream");
  EXPECT_EQ(ErrorOf(R"({"model":"m","prompt":[-1]})").param, "prompt");
  EXPECT_EQ(ErrorOf(R"({"model":"m","messages":[]})", true).param, "messages");
  EXPECT_EQ(ErrorOf(R"({"model":"m","messages":[{"role":"robot","content":"x"}]})", true).param,
            "messages[0].role");
  EXPECT_EQ(
      ErrorOf(R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]})",
              true)
          .param,
      "messages[0].content");
  // An empty prompt, a user message without content.
  EXPECT_EQ(ErrorOf(R"({"model":"m","prompt":""})").param, "prompt");
  EXPECT_EQ(ErrorOf(R"({"model":"m","prompt":[""]})").param, "prompt");
  EXPECT_EQ(ErrorOf(R"({"model":"m","messages":[{"role":"user"}]})", true).param,
            "messages[0].content");
  EXPECT_EQ(ErrorOf(R"({"model":"m","messages":[{"role":"user","content":null}]})", true).param,
            "messages[0].content");
  // An assistant turn that made tool calls may have none.
  EXPECT_TRUE(std::holds_alternative<GenerationParams>(ParseGenerationRequest(
      R"({"model":"m","messages":[{"role":"assistant","content":null},{"role":"user","content":"x"}]})",
      true)));
}

TEST(OpenAiProtocolTest, ErrorBodyIsAnOpenAiErrorObject) {
  ApiError e = BadRequest("bad", "max_tokens");
  e.code = "x";
  const json j = json::parse(ErrorBody(e));
  EXPECT_EQ(j["error"]["message"], "bad");
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["param"], "max_tokens");
  EXPECT_EQ(j["error"]["code"], "x");
  EXPECT_TRUE(json::parse(ErrorBody(BadRequest("b")))["error"]["param"].is_null());
}

TEST(OpenAiProtocolTest, ResponsesAndChunksHaveTheApiShape) {
  GenerationParams chat;
  chat.chat = true;
  chat.model = "m";
  const json r = json::parse(CompletionResponse(chat, "id1", 5, "hi", "length", {3, 2}));
  EXPECT_EQ(r["object"], "chat.completion");
  EXPECT_EQ(r["choices"][0]["message"]["content"], "hi");
  EXPECT_EQ(r["usage"]["total_tokens"], 5);
  const std::string chunk = StreamChunk(chat, "id1", 5, "yo", "", true);
  ASSERT_EQ(chunk.rfind("data: ", 0), 0u);
  ASSERT_EQ(chunk.substr(chunk.size() - 2), "\n\n");
  const json c = json::parse(chunk.substr(6));
  EXPECT_EQ(c["object"], "chat.completion.chunk");
  EXPECT_EQ(c["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(c["choices"][0]["delta"]["content"], "yo");
  EXPECT_TRUE(c["choices"][0]["finish_reason"].is_null());
  GenerationParams comp;
  comp.model = "m";
  const json last = json::parse(StreamChunk(comp, "id2", 5, "", "stop", false).substr(6));
  EXPECT_EQ(last["object"], "text_completion");
  EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");
}

TEST(OpenAiProtocolTest, StreamChunksEscapeTextAsJson) {
  GenerationParams p;
  p.model = "m\"q";
  const std::string text = "a\"b\\c\nd\te\x01f \xc3\xa9";
  for (bool chat : {false, true}) {
    p.chat = chat;
    const std::string chunk = StreamChunk(p, "id", 1, text, "", true);
    const json j = json::parse(chunk.substr(6));
    EXPECT_EQ(j["model"], "m\"q");
    EXPECT_EQ(chat ? j["choices"][0]["delta"]["content"] : j["choices"][0]["text"], text);
  }
}

// Fields OpenAI defines that this server does not implement are refused naming the field unless
// neutral; fields nobody defines are refused as OpenAI's API refuses them.
TEST(OpenAiProtocolTest, UnsupportedAndUnknownParametersAre400NamingThem) {
  struct Case {
    const char* body;
    bool chat;
    const char* param;
  } cases[] = {
      {R"({"model":"m","prompt":"x","best_of":2})", false, "best_of"},
      {R"({"model":"m","prompt":"x","suffix":"y"})", false, "suffix"},
      {R"({"model":"m","prompt":"x","echo":true,"logprobs":1})", false, "echo"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function"}]})",
       true, "tools"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"required"})", true,
       "tool_choice"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],
           "response_format":{"type":"json_object"}})",
       true, "response_format"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"modalities":["audio"]})", true,
       "modalities"},
      {R"({"model":"m","prompt":"x","min_p":1.5})", false, "min_p"},
      {R"({"model":"m","prompt":"x","repeat_last_n":-2})", false, "repeat_last_n"},
      {R"({"model":"m","prompt":"x","repeat_last_n":1.5})", false, "repeat_last_n"},
      {R"({"model":"m","prompt":"x","frobnicate":1})", false, "frobnicate"},
      {R"({"model":"m","prompt":"x","messages":[]})", false, "messages"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"echo":true})", true, "echo"},
      {R"({"model":"m","prompt":"x","frequency_penalty":3})", false, "frequency_penalty"},
      {R"({"model":"m","prompt":"x","logit_bias":{"abc":1}})", false, "logit_bias"},
      {R"({"model":"m","prompt":"x","logit_bias":{"5":101}})", false, "logit_bias"},
      {R"({"model":"m","prompt":"x","logprobs":21})", false, "logprobs"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"top_logprobs":2})", true,
       "top_logprobs"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"logprobs":2})", true,
       "logprobs"},
  };
  for (const Case& c : cases) {
    const ApiError e = ErrorOf(c.body, c.chat);
    EXPECT_EQ(e.status, 400) << c.body;
    EXPECT_EQ(e.param, c.param) << c.body << ": " << e.message;
  }
  EXPECT_NE(ErrorOf(R"({"model":"m","prompt":"x","frobnicate":1})").message.find("unrecognized"),
            std::string::npos);
  // Neutral values and metadata pass.
  ParamsOf(R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[],
               "tool_choice":"none","response_format":{"type":"text"},"modalities":["text"],
               "user":"u","metadata":{"a":"b"},"store":false,"parallel_tool_calls":true,
               "n":1})",
           true);
  ParamsOf(R"({"model":"m","prompt":"x","best_of":1,"suffix":"","echo":false,"user":"u"})");
}

TEST(OpenAiProtocolTest, PenaltiesBiasAndLogprobs) {
  const GenerationParams p = ParamsOf(
      R"({"model":"m","prompt":"x","frequency_penalty":0.5,"presence_penalty":-1,
          "repetition_penalty":1.2,"repeat_last_n":256,"min_p":0.05,
          "logit_bias":{"7":-100,"12":2.5},"logprobs":3})");
  EXPECT_EQ(p.repeat_last_n, 256);
  EXPECT_FLOAT_EQ(p.min_p, 0.05f);
  EXPECT_EQ(ParamsOf(R"({"model":"m","prompt":"x"})").repeat_last_n, 64);  // llama.cpp's default
  EXPECT_FLOAT_EQ(p.frequency_penalty, 0.5f);
  EXPECT_FLOAT_EQ(p.presence_penalty, -1.0f);
  EXPECT_FLOAT_EQ(p.repetition_penalty, 1.2f);
  std::vector<std::pair<int32_t, float>> bias = p.logit_bias;
  std::sort(bias.begin(), bias.end());
  EXPECT_EQ(bias, (std::vector<std::pair<int32_t, float>>{{7, -100.0f}, {12, 2.5f}}));
  EXPECT_EQ(p.logprobs, 3);
  const GenerationParams c = ParamsOf(
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"logprobs":true,
          "top_logprobs":4})",
      true);
  EXPECT_EQ(c.logprobs, 4);
  EXPECT_FALSE(ParamsOf(R"({"model":"m","prompt":"x"})").logprobs.has_value());
  EXPECT_EQ(
      ParamsOf(R"({"model":"m","messages":[{"role":"user","content":"x"}],"logprobs":true})", true)
          .logprobs,
      0);
}

TEST(OpenAiProtocolTest, MaxTokensOutOfRangeSaysTheRange) {
  for (const char* v : {"0", "1000001", "18446744073709551615", "-3"}) {
    const ApiError e = ErrorOf(std::string(R"({"model":"m","prompt":"x","max_tokens":)") + v + "}");
    EXPECT_NE(e.message.find("between 1 and 1000000"), std::string::npos) << v << ": " << e.message;
  }
}

TEST(OpenAiProtocolTest, LogprobsInResponsesAndChunks) {
  GenerationParams p;
  p.model = "m";
  p.logprobs = 1;
  const std::vector<TokenLogprobJson> lps{{"He", -0.5f, {{"He", -0.5f}}},
                                          {"llo", -1.0f, {{"y", -0.9f}}}};
  json j = json::parse(CompletionResponse(p, "id", 1, "Hello", "stop", {1, 2}, &lps, 3));
  const json& l = j["choices"][0]["logprobs"];
  EXPECT_EQ(l["tokens"], json({"He", "llo"}));
  EXPECT_EQ(l["text_offset"], json({3, 5}));
  EXPECT_FLOAT_EQ(l["token_logprobs"][1].get<float>(), -1.0f);
  EXPECT_FLOAT_EQ(l["top_logprobs"][1]["y"].get<float>(), -0.9f);
  p.chat = true;
  j = json::parse(CompletionResponse(p, "id", 1, "Hello", "stop", {1, 2}, &lps));
  const json& c = j["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0]["token"], "He");
  EXPECT_EQ(c[0]["bytes"], json({72, 101}));
  EXPECT_EQ(c[1]["top_logprobs"][0]["token"], "y");
  const std::string chunk = StreamChunk(p, "id", 1, "Hello", "", true, &lps);
  const json e = json::parse(chunk.substr(6));
  EXPECT_EQ(e["choices"][0]["delta"]["content"], "Hello");
  EXPECT_EQ(e["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(e["choices"][0]["logprobs"]["content"].size(), 2u);
  // Without logprobs asked for, "logprobs" stays null.
  p.logprobs.reset();
  j = json::parse(CompletionResponse(p, "id", 1, "Hello", "stop", {1, 2}, &lps));
  EXPECT_TRUE(j["choices"][0]["logprobs"].is_null());
}

TEST(OpenAiProtocolTest, ModelListCarriesTheContextLength) {
  const json j = json::parse(ModelList({{"a", 1, 512}, {"b", 1, 2048}}));
  EXPECT_EQ(j["object"], "list");
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][1]["id"], "b");
  EXPECT_EQ(j["data"][1]["object"], "model");
  EXPECT_EQ(j["data"][1]["max_model_len"], 2048);
}

}  // namespace
}  // namespace llms::server
