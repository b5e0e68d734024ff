// Stubs: what the executor does at a call to a named function instead of running it (the C
// library, allocation, locks, logging, the network). An engine's stubs live in a configuration
// file of its own, one rule per line, so their number is the manual effort it took:
//
//   # comment
//   log_fmt        skip              # void: do nothing
//   rcu_read_lock  skip
//   conf_refresh   return 0          # the return value, as an unsigned number or -1-style negative
//   getpid         fresh             # a fresh symbolic return value
//   knot_strerror  return-arg 0      # the argument's value
//   abort_on_x     fail unexpected   # the path ends in an error with this message
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/status.h"

namespace llms::symex {

struct StubRule {
  enum class Action { kSkip, kReturn, kReturnArg, kFresh, kFail } action = Action::kSkip;
  int64_t value = 0;    // kReturn
  unsigned arg = 0;     // kReturnArg
  std::string message;  // kFail
};

using Stubs = std::map<std::string, StubRule>;

// The rules of a stub file's text; an error names the line (`origin`:N) and what is wrong.
Result<Stubs> ParseStubs(std::string_view text, const std::string& origin);
// The same, read from `path`.
Result<Stubs> LoadStubs(const std::string& path);

}  // namespace llms::symex
