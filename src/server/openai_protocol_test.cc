// Request validation (the 400 table) and response shapes of the OpenAI protocol layer.
#include "server/openai_protocol.h"

#include <gtest/gtest.h>

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

TEST(OpenAiProtocolTest, StopStringsAndTheirHeldBackPrefixes) {
  const std::vector<std::string> stop{"END", "\n\n"};
  EXPECT_EQ(FindStop("abc END x", stop), 4u);
  EXPECT_EQ(FindStop("a\n\nb END", stop), 1u);
  EXPECT_EQ(FindStop("abc", stop), std::string::npos);
  EXPECT_EQ(StopPrefixHold("abc E", stop), 1u);
  EXPECT_EQ(StopPrefixHold("abc EN", stop), 2u);
  EXPECT_EQ(StopPrefixHold("abc\n", stop), 1u);
  EXPECT_EQ(StopPrefixHold("abc", stop), 0u);
  EXPECT_EQ(StopPrefixHold("abc", {}), 0u);
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
