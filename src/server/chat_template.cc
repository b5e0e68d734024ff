// The chat template families, rendered as their reference Jinja templates render them.
#include "server/chat_template.h"

namespace llms::server {

ChatFormat DetectChatFormat(std::string_view t) {
  if (t.find("<|im_start|>") != std::string_view::npos) return ChatFormat::kChatMl;
  if (t.find("<|start_header_id|>") != std::string_view::npos) return ChatFormat::kLlama3;
  if (t.find("[INST]") != std::string_view::npos) return ChatFormat::kLlama2;
  return ChatFormat::kPlain;
}

std::string_view ChatFormatName(ChatFormat format) {
  switch (format) {
    case ChatFormat::kChatMl:
      return "chatml";
    case ChatFormat::kLlama3:
      return "llama3";
    case ChatFormat::kLlama2:
      return "llama2";
    case ChatFormat::kPlain:
      break;
  }
  return "plain";
}

namespace {

std::string Role(const ChatMessage& m) {
  return m.role == "developer" ? "system" : m.role;
}

}  // namespace

std::vector<ChatPiece> RenderChatPieces(ChatFormat format,
                                        const std::vector<ChatMessage>& messages) {
  std::vector<ChatPiece> out;
  auto tmpl = [&](std::string text) {
    if (!out.empty() && out.back().from_template) {
      out.back().text += text;
    } else {
      out.push_back({std::move(text), true});
    }
  };
  auto content = [&](const std::string& text) {
    if (!text.empty()) out.push_back({text, false});
  };
  switch (format) {
    case ChatFormat::kChatMl:
      for (const ChatMessage& m : messages) {
        tmpl("<|im_start|>" + Role(m) + "\n");
        content(m.content);
        tmpl("<|im_end|>\n");
      }
      tmpl("<|im_start|>assistant\n");
      return out;
    case ChatFormat::kLlama3:
      for (const ChatMessage& m : messages) {
        tmpl("<|start_header_id|>" + Role(m) + "<|end_header_id|>\n\n");
        content(m.content);
        tmpl("<|eot_id|>");
      }
      tmpl("<|start_header_id|>assistant<|end_header_id|>\n\n");
      return out;
    case ChatFormat::kLlama2: {
      // [INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] assistant </s><s>[INST] user [/INST]
      std::string system;
      bool first_user = true;
      for (const ChatMessage& m : messages) {
        if (Role(m) == "system") {
          system += (system.empty() ? "" : "\n") + m.content;
        } else if (m.role == "assistant") {
          tmpl(" ");
          content(m.content);
          tmpl(" </s><s>");
        } else {
          tmpl("[INST] ");
          if (first_user && !system.empty()) {
            tmpl("<<SYS>>\n");
            content(system);
            tmpl("\n<</SYS>>\n\n");
          }
          first_user = false;
          content(m.content);
          tmpl(" [/INST]");
        }
      }
      return out;
    }
    case ChatFormat::kPlain:
      break;
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i > 0) tmpl("\n");
    content(messages[i].content);
  }
  return out;
}

std::string RenderChat(ChatFormat format, const std::vector<ChatMessage>& messages) {
  std::string out;
  for (const ChatPiece& p : RenderChatPieces(format, messages)) out += p.text;
  return out;
}

}  // namespace llms::server
