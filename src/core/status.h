// Status and Result<T>: the error values returned across module seams.
//
// A function that can fail on user input returns Status (no value) or Result<T> (a value or an
// error). The message is written for the user: it says what was wrong and, where possible, where
// (file:line) and what to do. Exceptions never cross a module boundary.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace llms {

class Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with context, e.g. a file name: "data.csv:12: " + message.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(context + ": " + message_);
  }

 private:
  explicit Status(std::string message) : message_(std::move(message)), failed_(true) {}
  std::string message_;
  bool failed_ = false;
};

template <typename T>
class Result {
 public:
  Result(T value) : data_(std::move(value)) {}         // NOLINT: implicit by design, like StatusOr.
  Result(Status status) : data_(std::move(status)) {}  // NOLINT
  static Result Error(std::string message) { return Result(Status::Error(std::move(message))); }

  bool ok() const { return std::holds_alternative<T>(data_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }
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
