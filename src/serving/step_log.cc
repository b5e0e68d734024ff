// The step log's CSV: writing rows as instances finish actions, and reading them back.
#include "serving/step_log.h"

#include <fmt/format.h>

#include <cmath>
#include <type_traits>

#include "core/text.h"
#include "serving/request.h"

namespace llms::serving {

namespace {

constexpr const char* kHeader =
    "instance,kind,model,from_model,batch,tokens,sum_sq,start_s,seconds,weight_bytes,"
    "kv_bytes_per_token";

// Parses the whole cell as a finite number into *out.
template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  if constexpr (std::is_floating_point_v<T>) {
    const auto v = ParseDouble(s);
    if (!v || !std::isfinite(*v)) return false;
    *out = *v;
  } else {
    const auto v = ParseInt(s);
    if (!v) return false;
    *out = static_cast<T>(*v);
  }
  return true;
}

const char* StepKindName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kSwitch:
      return "switch";
    case ActionKind::kPrefill:
      return "prefill";
    case ActionKind::kDecode:
      return "decode";
  }
  return "?";
}

}  // namespace

StepRecord RecordStep(int instance, const Action& action, const std::vector<StepLogModel>& models) {
  StepRecord r;
  r.instance = instance;
  r.kind = action.kind;
  const auto name = [&](int m) {
    return m >= 0 && m < static_cast<int>(models.size()) ? models[static_cast<size_t>(m)].name
                                                         : std::string();
  };
  r.model = name(action.model);
  r.from_model = name(action.from_model);
  if (action.model >= 0 && action.model < static_cast<int>(models.size())) {
    r.weight_bytes = models[static_cast<size_t>(action.model)].weight_bytes;
    r.kv_bytes_per_token = models[static_cast<size_t>(action.model)].kv_bytes_per_token;
  }
  r.batch = static_cast<int>(action.requests.size());
  for (const ServingRequest* q : action.requests) {
    if (action.kind == ActionKind::kPrefill) {
      r.tokens += q->prompt_tokens;
      r.sum_sq += int64_t{q->prompt_tokens} * q->prompt_tokens;
    } else {
      r.tokens += q->context();
    }
  }
  return r;
}

Result<std::unique_ptr<StepLog>> StepLog::Open(const std::string& path,
                                               std::vector<StepLogModel> models) {
  std::unique_ptr<StepLog> log(new StepLog(std::move(models)));
  log->out_.open(path, std::ios::trunc);
  if (!log->out_) {
    return Result<std::unique_ptr<StepLog>>::Error(
        "cannot write the step log " + path + ": check that its folder exists and is writable");
  }
  log->out_ << kHeader << '\n' << std::flush;
  return log;
}

void StepLog::Append(const StepRecord& r) {
  const std::string row =
      fmt::format("{},{},{},{},{},{},{},{:.6f},{:.6f},{:.0f},{:.0f}\n", r.instance,
                  StepKindName(r.kind), r.model, r.from_model, r.batch, r.tokens, r.sum_sq,
                  r.start_s, r.seconds, r.weight_bytes, r.kv_bytes_per_token);
  std::lock_guard<std::mutex> lock(mu_);
  out_ << row << std::flush;
}

Result<std::vector<StepRecord>> ReadStepLog(const std::string& path) {
  using R = Result<std::vector<StepRecord>>;
  std::ifstream in(path);
  if (!in) return R::Error("cannot read the step log " + path);
  std::string line;
  if (!std::getline(in, line) || line != kHeader) {
    return R::Error(path +
                    ": not a step log (aegaeon serve --step-log writes one): the first "
                    "line should be\n  " +
                    std::string(kHeader));
  }
  std::vector<StepRecord> rows;
  int number = 1;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    const std::vector<std::string_view> f = Split(line, ',');
    StepRecord r;
    bool ok = f.size() == 11;
    if (ok) {
      if (f[1] == "switch")
        r.kind = ActionKind::kSwitch;
      else if (f[1] == "prefill")
        r.kind = ActionKind::kPrefill;
      else if (f[1] == "decode")
        r.kind = ActionKind::kDecode;
      else
        ok = false;
      r.model = std::string(f[2]);
      r.from_model = std::string(f[3]);
      ok = ok && ParseNumber(f[0], &r.instance) && ParseNumber(f[4], &r.batch) &&
           ParseNumber(f[5], &r.tokens) && ParseNumber(f[6], &r.sum_sq) &&
           ParseNumber(f[7], &r.start_s) && ParseNumber(f[8], &r.seconds) &&
           ParseNumber(f[9], &r.weight_bytes) && ParseNumber(f[10], &r.kv_bytes_per_token) &&
           r.seconds >= 0 && r.batch >= 0;
    }
    if (!ok) {
      return R::Error(
          fmt::format("{}:{}: malformed step row '{}' (expected {})", path, number, line, kHeader));
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace llms::serving
