// Status and Result<T>: the error values returned across module seams.
//
// A function that can fail on user input returns Status (no value) or Result<T> (a value or an
// error). The message is written for the user: it says what was wrong and, where possible, where
// (file:line) and what to do; the code says what kind of failure it is, for callers that act on
// it (as LevelDB's and Abseil's statuses carry one): never parse the message. Exceptions never
// cross a module boundary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace llms {

// What kind of failure a Status is (Abseil's canonical codes, the ones this project uses).
enum class StatusCode : uint8_t {
  kOk = 0,
  kUnknown,             // no more specific kind given
  kInvalidArgument,     // the input is wrong (a flag, a request, a file's content): fix it
  kNotFound,            // a file, a model, a name that is not there
  kFailedPrecondition,  // the system is not in a state to do it (a port in use)
  kResourceExhausted,   // out of memory or room
  kUnavailable,         // not now: retry later
  kDataLoss,            // a file truncated or corrupt
  kInternal,            // a broken invariant
};
std::string_view StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status Error(std::string message) {
    return Status(StatusCode::kUnknown, std::move(message));
  }
  static Status Error(StatusCode code, std::string message) {
    return Status(code == StatusCode::kOk ? StatusCode::kUnknown : code, std::move(message));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with context, e.g. a file name: "data.csv:12: " + message.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  Status(StatusCode code, std::string message) : message_(std::move(message)), code_(code) {}
  std::string message_;
  StatusCode code_ = StatusCode::kOk;
};

template <typename T>
class Result {
 public:
  Result(T value) : data_(std::move(value)) {}         // NOLINT: implicit by design, like StatusOr.
  Result(Status status) : data_(std::move(status)) {}  // NOLINT
  static Result Error(std::string message) { return Result(Status::Error(std::move(message))); }
  static Result Error(StatusCode code, std::string message) {
    return Result(Status::Error(code, std::move(message)));
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }
  StatusCode code() const { return ok() ? StatusCode::kOk : std::get<Status>(data_).code(); }
  const std::string& message() const {
    static const std::string kEmpty;
    return ok() ? kEmpty : std::get<Status>(data_).message();
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace llms

// Returns early from the enclosing function when `expr` (a Status) failed.
#define LLMS_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::llms::Status llms_status_ = (expr);        \
    if (!llms_status_.ok()) return llms_status_; \
  } while (0)
