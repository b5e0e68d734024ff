// The catalogue of real model shapes (Llama 2/3, Qwen2, Mistral, Yi: their published
// configurations) by name, and what a shape weighs: parameters. `model dummy` writes random-weight
// models of these shapes; the simulator sizes its models by them. Its own library
// (llms_engine_shapes), so the simulator uses shapes without linking the engine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/model_config.h"

namespace llms::engine {

struct ModelPreset {
  std::string name;
  std::string description;
  ModelConfig config;  // architecture, shape, context, RoPE base
  bool tied = true;    // output projection shares the token embedding
};
const std::vector<ModelPreset>& ModelPresets();
const ModelPreset* FindModelPreset(const std::string& name);

// Parameters of a shape (what `model dummy` writes; `tied`: the output shares the embedding).
int64_t ParameterCount(const ModelConfig& config, bool tied);

}  // namespace llms::engine
