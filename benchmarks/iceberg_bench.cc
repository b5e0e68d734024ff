// iceberg speed: the specification's answers for every query equivalence class of a generated
// zone of just over 10,000 records (issue 6's target: <= 1 s), with the class derivation counted
// and also alone. The zone is made once per size by the campaigns' generator (seed 1).
#include <benchmark/benchmark.h>

#include "iceberg/classes.h"
#include "iceberg/spec.h"
#include "iceberg/zone_generator.h"

namespace {

using namespace llms;

const dns::Zone& Zone(int names) {
  static std::map<int, dns::Zone> zones;
  auto it = zones.find(names);
  if (it == zones.end()) {
    iceberg::GeneratorOptions o;
    o.names = names;
    it = zones.emplace(names, iceberg::GenerateZone(1, o)).first;
  }
  return it->second;
}

// Classes of the zone, then the specification's answer to each representative.
void BM_AnswersForEveryClass(benchmark::State& state) {
  const dns::Zone& zone = Zone(static_cast<int>(state.range(0)));
  size_t classes = 0;
  for (auto _ : state) {
    const iceberg::ZoneIndex index(zone.origin, zone.records);
    const auto cs = iceberg::Classes(index);
    for (const auto& c : cs) benchmark::DoNotOptimize(iceberg::Lookup(index, c.query));
    classes = cs.size();
  }
  state.counters["records"] = static_cast<double>(zone.records.size());
  state.counters["classes"] = static_cast<double>(classes);
}
BENCHMARK(BM_AnswersForEveryClass)->Arg(300)->Arg(20000)->Unit(benchmark::kMillisecond);

// Answers alone, the classes derived beforehand.
void BM_AnswersOnly(benchmark::State& state) {
  const dns::Zone& zone = Zone(static_cast<int>(state.range(0)));
  const iceberg::ZoneIndex index(zone.origin, zone.records);
  const auto cs = iceberg::Classes(index);
  for (auto _ : state) {
    for (const auto& c : cs) benchmark::DoNotOptimize(iceberg::Lookup(index, c.query));
  }
  state.counters["records"] = static_cast<double>(zone.records.size());
  state.counters["classes"] = static_cast<double>(cs.size());
}
BENCHMARK(BM_AnswersOnly)->Arg(20000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
