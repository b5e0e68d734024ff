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

std::string RenderChat(ChatFormat format, const std::vector<ChatMessage>& messages) {
  std::string out;
  switch (format) {
    case ChatFormat::kChatMl:
      for (const ChatMessage& m : messages) {
        out += "<|im_start|>" + Role(m) + "\n" + m.content + "<|im_end|>\n";
      }
      out += "<|im_start|>assistant\n";
      return out;
    case ChatFormat::kLlama3:
      for (const ChatMessage& m : messages) {
        out += "<|start_header_id|>" + Role(m) + "<|end_header_id|>\n\n" + m.content + "<|eot_id|>";
      }
      out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      return out;
    case ChatFormat::kLlama2: {
      // [INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] assistant </s><s>[INST] user [/INST]
      std::string system;
      bool first_user = true;
      for (const ChatMessage& m : messages) {
        if (Role(m) == "system") {
          system += (system.empty() ? "" : "\n") + m.content;
        } else if (m.role == "assistant") {
          out += " " + m.content + " </s><s>";
        } else {
          out += "[INST] ";
          if (first_user && !system.empty()) out += "<<SYS>>\n" + system + "\n<</SYS>>\n\n";
          first_user = false;
          out += m.content + " [/INST]";
        }
      }
      return out;
    }
    case ChatFormat::kPlain:
      break;
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i > 0) out += "\n";
    out += messages[i].content;
  }
  return out;
}

}  // namespace llms::server
