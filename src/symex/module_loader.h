// Reading LLVM IR (bitcode or text) into a module the executor runs, with the LLVM context that
// owns it.
#pragma once

#include <memory>
#include <string>

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

}  // namespace llms::symex
