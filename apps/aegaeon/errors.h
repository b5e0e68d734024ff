// How the aegaeon subcommands report a user-facing error: "aegaeon: error: ..." on stderr, exit 1.
#pragma once

#include <string>

#include "core/cli_app.h"

namespace llms::aegaeon::cli {

inline int Fail(const std::string& message) {
  return CliError("aegaeon", message);
}

}  // namespace llms::aegaeon::cli
