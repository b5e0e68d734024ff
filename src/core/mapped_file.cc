// MappedFile: mmap(2)-based implementation.
#include "core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

namespace llms {

Result<MappedFile> MappedFile::Open(const std::string& path, bool populate) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return Result<MappedFile>::Error(err == ENOENT ? StatusCode::kNotFound : StatusCode::kUnknown,
                                     path + ": cannot open: " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Result<MappedFile>::Error(path + ": cannot stat: " + std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Result<MappedFile>::Error(path + ": is a directory, expected a file");
  }
  MappedFile file;
  file.path_ = path;
  file.size_ = static_cast<size_t>(st.st_size);
  file.device_ = static_cast<uint64_t>(st.st_dev);
  file.inode_ = static_cast<uint64_t>(st.st_ino);
  if (file.size_ > 0) {
    // MAP_POPULATE builds the page tables now (from the page cache when the file is cached), so
    // the first pass over a model's weights does not take a page fault per 4 KiB.
    const int flags = MAP_PRIVATE | (populate ? MAP_POPULATE : 0);
    void* p = ::mmap(nullptr, file.size_, PROT_READ, flags, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return Result<MappedFile>::Error(path + ": cannot map: " + std::strerror(err));
    }
    ::madvise(p, file.size_, MADV_SEQUENTIAL);
    file.data_ = static_cast<const char*>(p);
  }
  ::close(fd);
  return file;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)),
      data_(other.data_),
      size_(other.size_),
      device_(other.device_),
      inode_(other.inode_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
    path_ = std::move(other.path_);
    data_ = other.data_;
    size_ = other.size_;
    device_ = other.device_;
    inode_ = other.inode_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<char*>(data_), size_);
}

Status MappedFile::CheckIntact() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return Status::Ok();  // removed: the mapping stays valid
  if (static_cast<uint64_t>(st.st_dev) != device_ || static_cast<uint64_t>(st.st_ino) != inode_) {
    return Status::Ok();  // replaced by another file: this mapping still reads the old one
  }
  if (static_cast<size_t>(st.st_size) < size_) {
    return Status::Error(
        StatusCode::kDataLoss,
        path_ + " was truncated in place (" + std::to_string(size_) + " bytes when loaded, " +
            std::to_string(st.st_size) +
            " now): restore the file (or replace it by renaming a new one over it) "
            "and restart the server to serve it again");
  }
  return Status::Ok();
}

namespace {

thread_local sigjmp_buf* t_sigbus_guard = nullptr;

void OnSigbus(int sig, siginfo_t* /*info*/, void* /*context*/) {
  if (sigjmp_buf* guard = t_sigbus_guard) siglongjmp(*guard, 1);
  // Not in a guarded read: die of it as the default action would.
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

bool ReadGuardedAgainstTruncation(void (*read)(void*), void* arg) {
  static std::once_flag installed;
  std::call_once(installed, [] {
    struct sigaction sa {};
    sa.sa_sigaction = OnSigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, nullptr);
  });
  sigjmp_buf guard;
  if (sigsetjmp(guard, 1) != 0) {
    t_sigbus_guard = nullptr;
    return false;
  }
  t_sigbus_guard = &guard;
  read(arg);
  t_sigbus_guard = nullptr;
  return true;
}

Result<std::string> ReadFileToString(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return Result<std::string>::Error(path + ": is a directory, expected a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return Result<std::string>::Error(err == ENOENT ? StatusCode::kNotFound : StatusCode::kUnknown,
                                      path + ": cannot open: " + std::strerror(err));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace llms
