// InitLogging: one stderr logger with a compact pattern.
#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace llms {

void InitLogging(int verbosity) {
  auto logger = spdlog::stderr_color_st("llms");
  logger->set_pattern("[%T.%e %^%l%$] %v");
  logger->set_level(verbosity <= 0   ? spdlog::level::warn
                    : verbosity == 1 ? spdlog::level::info
                                     : spdlog::level::debug);
  spdlog::set_default_logger(logger);
}

}  // namespace llms
