// The serve configuration: a YAML file (docs/serve.md documents every key) and the command line's
// model specs (`NAME=FILE`, a bare FILE named by its stem, a directory of GGUF files), read into
// a DeploymentConfig and ServerOptions. Flags given on the command line override the file.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "server/http_server.h"
#include "server/model_service.h"

namespace llms::server {

// Reads `path` into `deployment` and `options` (keys absent from the file keep their values).
Status LoadServeConfig(const std::string& path, DeploymentConfig* deployment,
                       ServerOptions* options);

// "NAME=FILE" or "FILE" (named by the file's stem); a directory adds every *.gguf in it, sorted.
Status AddModelSpec(const std::string& spec, std::vector<ModelEntry>* models);
// "NAME=FILE": the llama2.c tokenizer for model NAME (already added).
Status AddTokenizerSpec(const std::string& spec, std::vector<ModelEntry>* models);
// "NAME=TTFT_S,TPOT_S": model NAME's own SLOs (already added).
Status AddSloSpec(const std::string& spec, std::vector<ModelEntry>* models);

}  // namespace llms::server
