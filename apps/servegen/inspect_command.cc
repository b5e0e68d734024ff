// `servegen inspect`: validate a pool (every row and window) and summarise its clients.
#include <fmt/format.h>

#include "commands.h"
#include "core/text.h"
#include "pool_options.h"
#include "servegen/pool_filter.h"
#include "servegen/presets.h"

namespace llms::servegen::cli {

namespace {
struct InspectArgs {
  PoolOptions pool;
  size_t rows = 20;
};
}  // namespace

void RegisterInspect(CLI::App& root, std::function<int()>& action) {
  auto* app = root.add_subcommand("inspect", "validate a client pool and summarise its clients");
  app->footer(R"(Examples:
  servegen inspect --preset language
  servegen inspect --data data/language/m-large --rows 50
  servegen inspect --data data/reason/deepseek-r1 --start 43200 --duration 3600

Every trace row and every dataset window is parsed and validated (probabilities sum to 1 within
1e-6, finite non-negative rates/CVs, aligned windows); errors name file:line.)");
  auto a = std::make_shared<InspectArgs>();
  a->pool.Register(*app, /*with_rate=*/false, /*with_span=*/true);
  app->add_option("--rows", a->rows, "clients to list, by mean rate (default 20; 0 for all)");
  app->callback([app, a, &action] {
    const bool span_given = app->count("--start") > 0 || app->count("--duration") > 0;
    action = [a, span_given]() -> int {
      PoolOptions po = a->pool;
      po.validate_all = true;
      if (!span_given) po.duration = 1;  // replaced by the whole data span below
      auto loaded = LoadSelectedPool(po, false);
      if (!loaded.ok()) return Fail(loaded.message());
      if (!span_given) {
        po.start = static_cast<double>(loaded->pool.start);
        po.duration = static_cast<double>(loaded->pool.end() - loaded->pool.start);
        loaded = LoadSelectedPool(po, false);
        if (!loaded.ok()) return Fail(loaded.message());
      }
      const ClientPool& pool = loaded->pool;
      if (!po.preset.empty())
        fmt::print("preset {}: {}\n", po.preset, PresetDescription(po.preset));
      fmt::print(
          "{}: {} pool, {} clients active in [{:.0f}, {:.0f}) s, {} windows of {} s (data covers "
          "[{}, {}) s)\n",
          pool.source, CategoryName(pool.category), pool.clients.size(), loaded->span_start,
          loaded->span_start + loaded->duration, pool.num_windows, pool.window_seconds, pool.start,
          pool.end());
      const auto [first, last] = SpanWindows(pool, loaded->span_start, loaded->duration);
      std::vector<std::pair<const Client*, ClientSummary>> rows;
      double total_rate = 0.0;
      for (const auto& c : pool.clients) {
        rows.emplace_back(&c, SummarizeClient(pool, c, first, last));
        total_rate += rows.back().second.mean_rate;
      }
      std::stable_sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) {
        return x.second.mean_rate > y.second.mean_rate;
      });
      fmt::print(
          "total mean rate {:.3f} req/s\n\n{:>10} {:>11} {:>7} {:>8} {:>11} {:>11} {:>10} {:>10} "
          "{:>8}\n",
          total_rate, "client", "rate req/s", "share", "mean CV", "mean input", "mean output",
          "max input", "max output", "windows");
      const size_t n = a->rows == 0 ? rows.size() : std::min(a->rows, rows.size());
      for (size_t i = 0; i < n; ++i) {
        const auto& [c, s] = rows[i];
        fmt::print(
            "{:>10} {:>11.4f} {:>6.2f}% {:>8.3f} {:>11.1f} {:>11.1f} {:>10.0f} {:>10.0f} {:>8}\n",
            c->id, s.mean_rate, total_rate > 0 ? 100 * s.mean_rate / total_rate : 0.0, s.mean_cv,
            s.mean_input, s.mean_output, s.max_input, s.max_output, s.active_windows);
      }
      if (n < rows.size())
        fmt::print("... {} more clients (--rows 0 lists all)\n", rows.size() - n);
      // Conversations, prefixes and length correlation (client_params.csv), where the pool has
      // them.
      bool header = false;
      for (size_t i = 0; i < n; ++i) {
        const Client& c = *rows[i].first;
        if (!c.conversations && !c.io_rank_corr) continue;
        if (!header) {
          fmt::print("\n{:>10} {:>8} {:>7} {:>9} {:>7} {:>11} {:>8} {:>7} {:>9}\n", "client",
                     "source", "turns", "think p50", "sigma", "sys tokens", "prompts", "share",
                     "io rank r");
          header = true;
        }
        const ConversationModel m = c.conversations.value_or(ConversationModel{});
        fmt::print("{:>10} {:>8} {:>7.2f} {:>8.1f}s {:>7.2f} {:>11} {:>8} {:>6.1f}% {:>9}\n", c.id,
                   c.conversations ? m.source : "-", m.turns_mean, m.think_median_s, m.think_sigma,
                   m.system_prompt_tokens, m.system_prompts, 100 * m.prefix_share,
                   c.io_rank_corr ? fmt::format("{:.3f}", *c.io_rank_corr) : std::string("-"));
      }
      for (const auto& note : pool.notes) fmt::print("note: {}\n", note);
      fmt::print("validation: OK (every trace row and dataset window parsed)\n");
      return 0;
    };
  });
}

}  // namespace llms::servegen::cli
