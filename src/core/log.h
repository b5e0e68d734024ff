// Logging for the project's tools: spdlog to stderr, quiet by default (warnings and errors); -v
// shows the libraries' debug log. User-facing results and errors are printed by the tools
// themselves; logs are for diagnosing what a tool did (files read, chunks, fits). Library code logs
// at debug level only, so programs that never call InitLogging stay quiet.
#pragma once

#include <spdlog/spdlog.h>

namespace llms {

// verbosity 0: warnings and errors; 1 or more: everything, debug included.
void InitLogging(int verbosity);

}  // namespace llms
