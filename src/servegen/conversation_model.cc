// ConversationModel: the assumption, client_params.csv parsing and formatting, validation.
#include "servegen/conversation_model.h"

#include <fmt/format.h>

#include <cmath>
#include <tuple>

#include "core/text.h"

namespace llms::servegen {

ConversationModel AssumedConversationModel() {
  ConversationModel m;
  m.source = "assumed";
  m.turns_mean = 2.0;  // LMSYS-Chat-1M (Zheng et al., 2023), Table 1: 2.0 turns per conversation
  // No public production trace gives think times or system prompts: assumptions, documented as
  // such.
  m.think_median_s = 30.0;
  m.think_sigma = 1.0;
  m.system_prompt_tokens = 1024;  // two of Mooncake's 512-token blocks
  m.system_prompts = 4;
  m.prefix_share = 0.5;
  return m;
}

namespace {

constexpr std::string_view kHeader =
    "client_id,source,turns_mean,think_median_s,think_sigma,system_prompt_tokens,system_prompts,"
    "prefix_share,io_rank_corr";
constexpr int kColumns = 9;

void AppendNumber(std::string& s, double v) {
  s += fmt::format("{}", v);
}

}  // namespace

Status ValidateConversationModel(const ConversationModel& m, const std::string& what) {
  auto bad = [&](std::string_view field, double v, std::string_view rule) {
    return Status::Error(fmt::format("{}: {} = {} must be {}", what, field, v, rule));
  };
  if (!(m.turns_mean >= 1.0) || !std::isfinite(m.turns_mean))
    return bad("turns_mean", m.turns_mean, "a finite number >= 1");
  if (!(m.think_median_s >= 0.0) || !std::isfinite(m.think_median_s))
    return bad("think_median_s", m.think_median_s, "a finite number of seconds >= 0");
  if (!(m.think_sigma >= 0.0) || m.think_sigma > 10.0)
    return bad("think_sigma", m.think_sigma, "in [0, 10]");
  if (m.system_prompt_tokens < 0 || m.system_prompt_tokens > (1 << 20))
    return bad("system_prompt_tokens", static_cast<double>(m.system_prompt_tokens),
               "in [0, 1048576]");
  if (m.system_prompts < 0 || m.system_prompts > 1000000)
    return bad("system_prompts", m.system_prompts, "in [0, 1000000]");
  if (!(m.prefix_share >= 0.0 && m.prefix_share <= 1.0))
    return bad("prefix_share", m.prefix_share, "in [0, 1]");
  return Status::Ok();
}

Result<std::vector<ClientParams>> ParseClientParams(std::string_view content,
                                                    const std::string& name) {
  std::vector<ClientParams> rows;
  size_t line_no = 0;
  for (std::string_view line : Split(content, '\n')) {
    ++line_no;
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.rfind("client_id,", 0) == 0) continue;  // the header
    std::vector<std::string> f = SplitCsvLine(line);
    for (auto& field : f) field = std::string(Trim(field));
    const std::string where = fmt::format("{}:{}", name, line_no);
    if (static_cast<int>(f.size()) != kColumns) {
      return Result<std::vector<ClientParams>>::Error(
          fmt::format("{}: {} columns, expected {}: {}", where, f.size(), kColumns, kHeader));
    }
    auto number = [&](int col, double& out) -> Status {
      const auto v = ParseDouble(f[static_cast<size_t>(col)]);
      if (!v || !std::isfinite(*v)) {
        return Status::Error(fmt::format("{}: column {} ('{}') is not a finite number", where,
                                         col + 1, f[static_cast<size_t>(col)]));
      }
      out = *v;
      return Status::Ok();
    };
    ClientParams p;
    p.client_id = std::string(f[0]);
    if (p.client_id.empty())
      return Result<std::vector<ClientParams>>::Error(where + ": empty client_id");
    if (!f[2].empty()) {
      ConversationModel m;
      m.source = std::string(f[1]);
      double tokens = 0, prompts = 0;
      for (auto [col, out] : {std::pair{2, &m.turns_mean}, std::pair{3, &m.think_median_s},
                              std::pair{4, &m.think_sigma}, std::pair{5, &tokens},
                              std::pair{6, &prompts}, std::pair{7, &m.prefix_share}}) {
        if (Status s = number(col, *out); !s.ok()) return s;
      }
      for (auto [name, v, most] : {std::tuple{"system_prompt_tokens", tokens, 1048576.0},
                                   std::tuple{"system_prompts", prompts, 1000000.0}}) {
        if (v < 0 || v > most || v != std::floor(v)) {
          return Result<std::vector<ClientParams>>::Error(
              fmt::format("{}: {} = {} must be a whole number in [0, {}]", where, name, v, most));
        }
      }
      m.system_prompt_tokens = static_cast<int64_t>(tokens);
      m.system_prompts = static_cast<int>(prompts);
      if (Status s = ValidateConversationModel(m, where); !s.ok()) return s;
      p.conversations = m;
    }
    if (!f[8].empty()) {
      double rho = 0;
      if (Status s = number(8, rho); !s.ok()) return s;
      if (rho < -1.0 || rho > 1.0) {
        return Result<std::vector<ClientParams>>::Error(
            fmt::format("{}: io_rank_corr {} must be in [-1, 1]", where, rho));
      }
      p.io_rank_corr = rho;
    }
    rows.push_back(std::move(p));
  }
  return rows;
}

std::string FormatClientParams(const std::vector<ClientParams>& rows) {
  std::string out(kHeader);
  out += '\n';
  for (const auto& p : rows) {
    out += p.client_id.find_first_of(",\"\n") == std::string::npos ? p.client_id
                                                                   : "\"" + p.client_id + "\"";
    out += ',';
    if (p.conversations) {
      const ConversationModel& m = *p.conversations;
      out += m.source;
      for (double v : {m.turns_mean, m.think_median_s, m.think_sigma,
                       static_cast<double>(m.system_prompt_tokens),
                       static_cast<double>(m.system_prompts), m.prefix_share}) {
        out += ',';
        AppendNumber(out, v);
      }
    } else {
      out += ",,,,,,";
    }
    out += ',';
    if (p.io_rank_corr) AppendNumber(out, *p.io_rank_corr);
    out += '\n';
  }
  return out;
}

}  // namespace llms::servegen
