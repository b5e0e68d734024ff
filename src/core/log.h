// Logging for the project's tools: spdlog to stderr, quiet by default (warnings and errors), more
// with -v (info) or -vv (debug). User-facing results and errors are printed by the tools
// themselves; logs are for diagnosing what a tool did (files read, timings, decisions).
#pragma once

#include <spdlog/spdlog.h>

namespace llms {

// verbosity 0: warnings; 1: info; 2+: debug.
void InitLogging(int verbosity);

}  // namespace llms
