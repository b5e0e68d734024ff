// LLVM IR files into modules (see module_loader.h).
#include "symex/module_loader.h"

#include <fmt/format.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IRReader/IRReader.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Support/raw_ostream.h>

namespace llms::symex {

LoadedModule::LoadedModule() = default;
LoadedModule::~LoadedModule() {
  module.reset();  // before its context
}
LoadedModule::LoadedModule(LoadedModule&&) noexcept = default;
LoadedModule& LoadedModule::operator=(LoadedModule&&) noexcept = default;

Result<LoadedModule> LoadModule(const std::string& path) {
  LoadedModule out;
  out.context = std::make_unique<llvm::LLVMContext>();
  llvm::SMDiagnostic diagnostic;
  out.module = llvm::parseIRFile(path, diagnostic, *out.context);
  if (!out.module) {
    std::string text;
    llvm::raw_string_ostream os(text);
    diagnostic.print("", os, /*ShowColors=*/false);
    return Status::Error(fmt::format("{}: not LLVM IR the executor can read: {}", path, text));
  }
  return out;
}

}  // namespace llms::symex
