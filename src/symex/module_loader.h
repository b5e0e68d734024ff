// Reading LLVM IR (bitcode or text) into a module the executor runs, with the LLVM context that
// owns it, and compiling C sources to IR with a clang of the same LLVM version.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace llms::symex {

struct LoadedModule {
  LoadedModule();
  ~LoadedModule();
  LoadedModule(LoadedModule&&) noexcept;
  LoadedModule& operator=(LoadedModule&&) noexcept;
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
};

// The module in `path` (.bc or .ll); an error names the file and LLVM's diagnostic.
Result<LoadedModule> LoadModule(const std::string& path);

// Writes `source` (C) to `workdir`/`name`.c, compiles it to bitcode with `clang` and `flags`
// (e.g. "-O1", "-I/some/dir"), and loads it. An error carries the compiler's output.
Result<LoadedModule> CompileC(const std::string& clang, const std::string& source,
                              const std::vector<std::string>& flags, const std::string& workdir,
                              const std::string& name = "source");

}  // namespace llms::symex
