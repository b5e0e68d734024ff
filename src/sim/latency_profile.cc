// Loading of latency.csv with validation.
#include "sim/latency_profile.h"

#include <cmath>

#include <fmt/format.h>

#include "core/mapped_file.h"
#include "core/text.h"

namespace llms::sim {

Result<std::vector<ProfileRow>> LoadLatencyProfiles(const std::string& path) {
  auto text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  std::vector<ProfileRow> rows;
  std::vector<std::string_view> header;
  int col_model = -1, col_gpu = -1, col_len = -1, col_bs = -1, col_prefill = -1, col_decode = -1;
  size_t line_no = 0;
  for (std::string_view line : Split(*text, '\n')) {
    ++line_no;
    line = Trim(line);
    if (line.empty()) continue;
    const auto fields = Split(line, ',');
    auto fail = [&](const std::string& what) {
      return Result<std::vector<ProfileRow>>::Error(fmt::format("{}:{}: {}", path, line_no, what));
    };
    if (header.empty()) {
      header = fields;
      for (size_t i = 0; i < fields.size(); ++i) {
        const std::string_view f = Trim(fields[i]);
        const int c = static_cast<int>(i);
        if (f == "model") col_model = c;
        if (f == "gpu") col_gpu = c;
        if (f == "input_len") col_len = c;
        if (f == "batch_size") col_bs = c;
        if (f == "prefill_mean_s") col_prefill = c;
        if (f == "decode_step_mean_s") col_decode = c;
      }
      if (col_model < 0 || col_gpu < 0 || col_len < 0 || col_bs < 0 || col_prefill < 0 ||
          col_decode < 0) {
        return fail(
            "the header must name the columns model, gpu, input_len, batch_size, "
            "prefill_mean_s and decode_step_mean_s (the Aegaeon artifact's latency.csv layout)");
      }
      continue;
    }
    if (fields.size() != header.size()) {
      return fail(fmt::format("{} fields, the header has {} (truncated line?)", fields.size(),
                              header.size()));
    }
    ProfileRow r;
    r.model = std::string(Trim(fields[static_cast<size_t>(col_model)]));
    r.gpu = std::string(Trim(fields[static_cast<size_t>(col_gpu)]));
    const auto len = ParseInt(Trim(fields[static_cast<size_t>(col_len)]));
    const auto bs = ParseInt(Trim(fields[static_cast<size_t>(col_bs)]));
    const auto pre = ParseDouble(Trim(fields[static_cast<size_t>(col_prefill)]));
    const auto dec = ParseDouble(Trim(fields[static_cast<size_t>(col_decode)]));
    if (r.model.empty() || r.gpu.empty()) return fail("empty model or gpu name");
    if (!len || *len <= 0 || *len > (1 << 24)) return fail("input_len must be a positive integer");
    if (!bs || *bs <= 0 || *bs > (1 << 20)) return fail("batch_size must be a positive integer");
    if (!pre || !std::isfinite(*pre) || *pre <= 0) {
      return fail("prefill_mean_s must be a positive number of seconds");
    }
    if (!dec || !std::isfinite(*dec) || *dec <= 0) {
      return fail("decode_step_mean_s must be a positive number of seconds");
    }
    r.input_len = static_cast<int>(*len);
    r.batch_size = static_cast<int>(*bs);
    r.prefill_s = *pre;
    r.decode_step_s = *dec;
    rows.push_back(std::move(r));
  }
  if (header.empty()) return Result<std::vector<ProfileRow>>::Error(path + ": empty file");
  if (rows.empty()) return Result<std::vector<ProfileRow>>::Error(path + ": no data rows");
  return rows;
}

}  // namespace llms::sim
