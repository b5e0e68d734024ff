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
}  // namespace llms::server
