// Preset lookup over the embedded file table generated at build time (embed_presets.cmake).
#include "servegen/presets.h"

#include "servegen/generator.h"
#include "servegen/rate_function.h"

#include <algorithm>
#include <string_view>

namespace llms::servegen {

struct EmbeddedFile {
  const char* preset;
  const char* name;
  const char* content;
  size_t size;
};
// Defined in the generated presets_data.cc.
extern const EmbeddedFile kEmbeddedPresetFiles[];
extern const size_t kEmbeddedPresetFileCount;

std::vector<std::string> PresetNames() {
  std::vector<std::string> names;
  for (size_t i = 0; i < kEmbeddedPresetFileCount; ++i) {
    const std::string p = kEmbeddedPresetFiles[i].preset;
    if (std::find(names.begin(), names.end(), p) == names.end()) names.push_back(p);
  }
  return names;
}

std::string PresetDescription(const std::string& name) {
  for (size_t i = 0; i < kEmbeddedPresetFileCount; ++i) {
    const auto& f = kEmbeddedPresetFiles[i];
    if (name == f.preset && std::string_view(f.name) == "DESCRIPTION") {
      // The first line (the second names the source the preset was fitted from).
      std::string d(f.content, f.size);
      d = d.substr(0, d.find('\n'));
      while (!d.empty() && d.back() == ' ') d.pop_back();
      return d;
    }
  }
  return "";
}

std::optional<std::vector<PoolFile>> PresetFiles(const std::string& name) {
  std::vector<PoolFile> files;
  for (size_t i = 0; i < kEmbeddedPresetFileCount; ++i) {
    const auto& f = kEmbeddedPresetFiles[i];
    if (name == f.preset) files.push_back(PoolFile{f.name, std::string_view(f.content, f.size)});
  }
  if (files.empty()) return std::nullopt;
  return files;
}

Result<ClientPool> LoadPreset(const std::string& name) {
  const auto files = PresetFiles(name);
  if (!files) {
    std::string names;
    for (const auto& n : PresetNames()) names += (names.empty() ? "" : ", ") + n;
    return Result<ClientPool>::Error(StatusCode::kNotFound,
                                     "unknown preset '" + name + "'; presets: " + names);
  }
  LoadOptions lo;
  return LoadPoolFromFiles(*files, "preset:" + name, lo);
}

Result<Trace> GeneratePresetTrace(const std::string& name, double rate, double duration_s,
                                  uint64_t seed) {
  auto pool = LoadPreset(name);
  if (!pool.ok()) return pool.status();
  GenerateOptions go;
  go.span_start = static_cast<double>(pool->start);
  go.duration = duration_s;
  go.seed = seed;
  // Independent requests: aegaeon bench and sim replay these at fixed rates (bench would send a
  // conversation's later turns closed loop, the simulator at their trace times).
  go.sessions.conversations = false;
  go.sessions.block_tokens = 0;  // the trace keeps requests only
  const auto constant = RateFunction::Constant(rate, duration_s);
  Trace trace;
  trace.has_client_ids = true;
  for (const auto& c : pool->clients) trace.clients.push_back(c.id);
  auto summary = Generate(*pool, constant, go, [&](const RequestBatch& b) {
    trace.batch.requests.insert(trace.batch.requests.end(), b.requests.begin(), b.requests.end());
    return Status::Ok();
  });
  if (!summary.ok()) return summary.status();
  return trace;
}

}  // namespace llms::servegen
