// Chat prompts: turns a list of chat messages into the prompt text a model was trained on. A GGUF
// model carries its template as Jinja (`tokenizer.chat_template`); rather than run Jinja, the
// server recognises the template families in wide use by their markers and renders them itself:
// ChatML (Qwen2 and others: <|im_start|>), Llama 3 (<|start_header_id|>) and Llama 2 / Mistral
// ([INST]). A model without a template, or with one of no known family, gets the documented
// fallback: the messages' contents, one per line, which the model continues (docs/serve.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/openai_protocol.h"

namespace llms::server {

enum class ChatFormat { kChatMl, kLlama3, kLlama2, kPlain };

ChatFormat DetectChatFormat(std::string_view jinja_template);
std::string_view ChatFormatName(ChatFormat format);

// One stretch of a rendered prompt: the template's own text (its markers, which are special
// tokens to parse) or a message's content (ordinary text, even where it spells a marker).
struct ChatPiece {
  std::string text;
  bool from_template = false;
};

// The prompt for `messages`, ending where the assistant's reply begins, in pieces.
std::vector<ChatPiece> RenderChatPieces(ChatFormat format,
                                        const std::vector<ChatMessage>& messages);
// The same prompt as one string.
std::string RenderChat(ChatFormat format, const std::vector<ChatMessage>& messages);

}  // namespace llms::server
