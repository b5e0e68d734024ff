// `servegen inspect` (being written).
#include "commands.h"
namespace llms::servegen::cli {
void RegisterInspect(CLI::App& root, std::function<int()>& action) { (void)root; (void)action; }
}  // namespace llms::servegen::cli
