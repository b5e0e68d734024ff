// Google Benchmark programs for servegen: generation alone (requests/s on one core, no output),
// with and without conversations and hash_ids, on the language preset and on the m-large job
// (one hour of ServeGen's m-large at 100 req/s); generation + JSONL formatting; and loading one
// hour of the ServeGen m-large pool.
//   build/bin/servegen_bench --benchmark_filter=Generate
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>

#include "servegen/generator.h"
#include "servegen/pool_filter.h"
#include "servegen/pool_loader.h"
#include "servegen/presets.h"
#include "servegen/trace_writer.h"

namespace llms::servegen {
namespace {

ClientPool LanguagePreset() {
  LoadOptions all;
  all.validate_all = true;
  auto pool = LoadPoolFromFiles(*PresetFiles("language"), "preset:language", all);
  return std::move(ApplyFilter(*pool, {}, 0, 3600)).value();
}

// Conversations and hash_ids on (1: the assumed conversation model where a client has none) or
// off (0: arrivals and lengths only, as before either existed).
void SetSessions(GenerateOptions& opt, ClientPool& pool, int64_t on) {
  opt.sessions.conversations = on != 0;
  opt.sessions.block_tokens = on != 0 ? 512 : 0;
  for (auto& c : pool.clients) {
    if (on != 0 && !c.conversations) c.conversations = AssumedConversationModel();
  }
}

// Generation alone: requests/s on one thread, the sink only counts.
void RunGenerate(benchmark::State& state, ClientPool pool, double rate, double start) {
  const double duration = 3600;
  const RateFunction f = RateFunction::Constant(rate, duration);
  GenerateOptions opt;
  opt.span_start = start;
  opt.duration = duration;
  SetSessions(opt, pool, state.range(1));
  int64_t total = 0;
  for (auto _ : state) {
    opt.seed++;
    int64_t n = 0;
    auto s = Generate(pool, f, opt, [&](const RequestBatch& b) {
      n += static_cast<int64_t>(b.requests.size());
      benchmark::DoNotOptimize(b.hash_ids.data());
      return Status::Ok();
    });
    benchmark::DoNotOptimize(n);
    total += n;
  }
  state.SetItemsProcessed(total);
}

void BM_Generate(benchmark::State& state) {
  RunGenerate(state, LanguagePreset(), static_cast<double>(state.range(0)), 0);
}
BENCHMARK(BM_Generate)
    ->ArgsProduct({{100, 3000}, {0, 1}})
    ->ArgNames({"rate", "sessions"})
    ->Unit(benchmark::kMillisecond);

// The m-large job: the first hour of ServeGen's m-large at 100 req/s (its 147 clients with data).
void BM_GenerateMLarge(benchmark::State& state) {
  const std::string dir = std::string(LLMS_SHARED_DIR) + "/data/servegen/language/m-large";
  if (!std::filesystem::exists(dir)) {
    state.SkipWithError("../shared/data/servegen is absent");
    return;
  }
  LoadOptions lo;
  lo.span_end = 3600;
  auto pool = LoadPoolFromDirectory(dir, lo);
  if (!pool.ok()) {
    state.SkipWithError(pool.message().c_str());
    return;
  }
  RunGenerate(state, std::move(ApplyFilter(*pool, {}, 0, 3600)).value(), 100, 0);
}
BENCHMARK(BM_GenerateMLarge)
    ->ArgsProduct({{100}, {0, 1}})
    ->ArgNames({"rate", "sessions"})
    ->Unit(benchmark::kMillisecond);

// Generation + JSONL formatting to /dev/null.
void BM_GenerateJsonl(benchmark::State& state) {
  const ClientPool pool = LanguagePreset();
  const RateFunction f = RateFunction::Constant(static_cast<double>(state.range(0)), 3600);
  GenerateOptions opt;
  opt.duration = 3600;  // the preset's defaults: conversations and hash_ids on
  std::vector<std::string> names;
  for (const auto& c : pool.clients) names.push_back(c.id);
  int64_t total = 0;
  for (auto _ : state) {
    auto w = TraceWriter::Open("/dev/null", TraceFormat::kJsonl, pool.category, names, 0, 600);
    auto s = Generate(pool, f, opt, [&](const RequestBatch& b) {
      total += static_cast<int64_t>(b.requests.size());
      return w->Write(b);
    });
    benchmark::DoNotOptimize(w->Close());
  }
  state.SetItemsProcessed(total);
}
BENCHMARK(BM_GenerateJsonl)->Arg(100)->Unit(benchmark::kMillisecond);

// Loading the first hour of m-large (as `servegen generate --data ... --duration 3600` does).
void BM_LoadMLargeHour(benchmark::State& state) {
  const std::string dir = std::string(LLMS_SHARED_DIR) + "/data/servegen/language/m-large";
  if (!std::filesystem::exists(dir)) {
    state.SkipWithError("../shared/data/servegen is absent");
    return;
  }
  LoadOptions opt;
  opt.span_end = 3600;
  opt.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    auto pool = LoadPoolFromDirectory(dir, opt);
    benchmark::DoNotOptimize(pool.ok());
  }
}
BENCHMARK(BM_LoadMLargeHour)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace llms::servegen

BENCHMARK_MAIN();
