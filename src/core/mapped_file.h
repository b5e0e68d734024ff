// MappedFile: a read-only memory mapping of a whole file, with a user-facing error when the file
// cannot be opened. Empty files map to an empty view. Movable, not copyable.
// A file truncated in place while mapped makes reads of the lost pages raise SIGBUS: a long-lived
// reader (the server's model cache) checks CheckIntact before a pass over the mapping and runs the
// pass under ReadGuardedAgainstTruncation, which turns the signal into an error.
#pragma once

#include <cstdint>
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
  // An error when the file was truncated in place since it was mapped; OK otherwise (a file
  // replaced by a new one, or removed, leaves this mapping valid).
  Status CheckIntact() const;

 private:
  MappedFile() = default;
  std::string path_;
  const char* data_ = nullptr;
  size_t size_ = 0;
  uint64_t device_ = 0, inode_ = 0;
};

// Runs `read` (which reads mapped files and must not allocate, lock or own anything that needs
// destroying: it may be abandoned midway); false when a read raised SIGBUS (a mapped file shrank
// under it). Thread-safe.
bool ReadGuardedAgainstTruncation(void (*read)(void*), void* arg);

// Reads a whole file into a string (for small files and for files that are not regular).
Result<std::string> ReadFileToString(const std::string& path);

}  // namespace llms
