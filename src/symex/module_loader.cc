// LLVM IR files into modules (see module_loader.h).
#include "symex/module_loader.h"

#include <fmt/format.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IRReader/IRReader.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Support/raw_ostream.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

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

Result<LoadedModule> CompileC(const std::string& clang, const std::string& source,
                              const std::vector<std::string>& flags, const std::string& workdir,
                              const std::string& name) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(workdir, ec);
  if (ec) return Status::Error(fmt::format("cannot create {}: {}", workdir, ec.message()));
  const fs::path c = fs::path(workdir) / (name + ".c"), bc = fs::path(workdir) / (name + ".bc");
  std::ofstream(c) << source;
  std::string cmd = fmt::format("'{}' -c -emit-llvm -fno-discard-value-names", clang);
  for (const std::string& f : flags) cmd += fmt::format(" '{}'", f);
  cmd += fmt::format(" -o '{}' '{}' 2>&1", bc.string(), c.string());
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return Status::Error("cannot run " + clang);
  std::string output;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) output.append(buf, n);
  if (pclose(pipe) != 0) {
    return Status::Error(fmt::format("{} failed on {}:\n{}", clang, c.string(), output));
  }
  return LoadModule(bc.string());
}

}  // namespace llms::symex
