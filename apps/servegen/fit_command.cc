// `servegen fit` (being written).
#include "commands.h"
namespace llms::servegen::cli {
void RegisterFit(CLI::App& root, std::function<int()>& action) { (void)root; (void)action; }
}  // namespace llms::servegen::cli
