// MappedFile: a read-only memory mapping of a whole file, with a user-facing error when the file
// cannot be opened. Empty files map to an empty view. Movable, not copyable.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace llms {

class MappedFile {
 public:
  // `populate`: build the page tables for the whole file now (MAP_POPULATE), for files that will
  // be read in full soon (model weights); otherwise pages come in as they are touched, so a
  // reader that looks at part of a large file (the servegen loader) keeps its memory small.
  static Result<MappedFile> Open(const std::string& path, bool populate = false);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view view() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  std::string path_;
  const char* data_ = nullptr;
  size_t size_ = 0;
};

// Reads a whole file into a string (for small files and for files that are not regular).
Result<std::string> ReadFileToString(const std::string& path);

}  // namespace llms
