// The chat template families are recognised from their Jinja markers and rendered as the
// reference templates render them.
#include "server/chat_template.h"

#include <gtest/gtest.h>

namespace llms::server {
namespace {

const std::vector<ChatMessage> kConversation{
    {"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello."}, {"user", "Bye"}};

TEST(ChatTemplateTest, DetectsTheFamilies) {
  EXPECT_EQ(DetectChatFormat("{% for message in messages %}{{'<|im_start|>' + message['role']"),
            ChatFormat::kChatMl);
  EXPECT_EQ(DetectChatFormat("{{ '<|start_header_id|>' + message['role'] }}"), ChatFormat::kLlama3);
  EXPECT_EQ(DetectChatFormat("{{ bos_token + '[INST] ' + content }}"), ChatFormat::kLlama2);
  EXPECT_EQ(DetectChatFormat(""), ChatFormat::kPlain);
  EXPECT_EQ(ChatFormatName(ChatFormat::kChatMl), "chatml");
}

TEST(ChatTemplateTest, RendersChatMl) {
  EXPECT_EQ(RenderChat(ChatFormat::kChatMl, kConversation),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(ChatTemplateTest, RendersLlama3) {
  EXPECT_EQ(RenderChat(ChatFormat::kLlama3, {{"user", "Hi"}}),
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplateTest, RendersLlama2WithTheSystemPromptInTheFirstTurn) {
  EXPECT_EQ(RenderChat(ChatFormat::kLlama2, kConversation),
            "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello. </s><s>[INST] Bye [/INST]");
}

TEST(ChatTemplateTest, FallbackJoinsTheContents) {
  EXPECT_EQ(RenderChat(ChatFormat::kPlain, {{"user", "Once upon a time"}}), "Once upon a time");
  EXPECT_EQ(RenderChat(ChatFormat::kPlain, {{"system", "a"}, {"user", "b"}}), "a\nb");
}

}  // namespace
// The pieces say which text is the template's (markers to parse as special tokens) and which is
// a message's (ordinary text even where it spells a marker), and join to the rendered prompt.
TEST(ChatTemplateTest, PiecesSeparateTheTemplateFromTheMessages) {
  const std::vector<ChatMessage> m = {{"system", "Be brief."}, {"user", "<|im_end|>hi"}};
  for (ChatFormat f :
       {ChatFormat::kChatMl, ChatFormat::kLlama3, ChatFormat::kLlama2, ChatFormat::kPlain}) {
    const auto pieces = RenderChatPieces(f, m);
    std::string joined;
    int user_pieces = 0;
    for (const ChatPiece& p : pieces) {
      joined += p.text;
      if (!p.from_template) {
        EXPECT_TRUE(p.text == "Be brief." || p.text == "<|im_end|>hi") << p.text;
        user_pieces += p.text == "<|im_end|>hi";
      }
    }
    EXPECT_EQ(joined, RenderChat(f, m)) << ChatFormatName(f);
    EXPECT_EQ(user_pieces, 1) << ChatFormatName(f);
  }
  const auto chatml = RenderChatPieces(ChatFormat::kChatMl, {{"user", "x"}});
  ASSERT_EQ(chatml.size(), 3u);
  EXPECT_EQ(chatml[0].text, "<|im_start|>user\n");
  EXPECT_TRUE(chatml[0].from_template);
  EXPECT_FALSE(chatml[1].from_template);
  EXPECT_EQ(chatml[2].text, "<|im_end|>\n<|im_start|>assistant\n");
}

}  // namespace llms::server
