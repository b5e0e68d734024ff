// Embedded client pools ("presets") that work with no data directory: one or more per category,
// fitted by this project's own fitter from the ServeGen production data and committed as figures
// under src/servegen/presets/<name>/ (see the README there for source and method). The build
// embeds those files; these functions expose them in the loader's in-memory form.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "servegen/pool_loader.h"
#include "servegen/trace_reader.h"

namespace llms::servegen {

std::vector<std::string> PresetNames();
// One-line description of a preset (category, clients, span), for --help and `inspect`: the first
// line of its DESCRIPTION file (the second names the data it was fitted from and its licence).
std::string PresetDescription(const std::string& name);
// The preset's files (views into static storage), or nullopt for an unknown name.
std::optional<std::vector<PoolFile>> PresetFiles(const std::string& name);
// The preset loaded as a pool; an error naming the presets for an unknown name.
Result<ClientPool> LoadPreset(const std::string& name);
// `duration_s` seconds of the preset's traffic at `rate` requests per second in all (constant),
// with client ids, timestamps from 0, without conversations: what aegaeon bench replays from a
// preset and what aegaeon sim replays to predict it.
Result<Trace> GeneratePresetTrace(const std::string& name, double rate, double duration_s,
                                  uint64_t seed);

}  // namespace llms::servegen
