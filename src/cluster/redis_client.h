// RedisClient: a small synchronous client of a Redis server (Debian's hiredis underneath), what
// the cluster's nodes and proxies coordinate through: commands as argument lists, replies as a
// tree of values, a connect and command timeout, and a reconnect on the next command after the
// connection broke (Redis restarted, a network blip), so callers only see the commands that
// failed. Thread-safe (one command at a time).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"

struct redisContext;

namespace llms::cluster {

struct RedisAddress {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string Url() const { return "redis://" + host + ":" + std::to_string(port); }
};
// "redis://HOST:PORT" (or "HOST:PORT"); the port defaults to 6379.
Result<RedisAddress> ParseRedisUrl(const std::string& url);

struct RedisReply {
  enum class Type { kNil, kString, kInteger, kArray, kStatus };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus
  int64_t integer = 0;
  std::vector<RedisReply> elements;  // kArray
};

class RedisClient {
 public:
  explicit RedisClient(RedisAddress address, double timeout_s = 1.0);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // One command, e.g. {"SET", key, value, "PX", "2000"}. An error reply from Redis, a lost
  // connection or a timeout is an error naming the server; the next call connects again.
  Result<RedisReply> Command(const std::vector<std::string>& args);
  const RedisAddress& address() const { return address_; }

 private:
  Status ConnectLocked();
  RedisAddress address_;
  double timeout_s_;
  std::mutex mu_;
  redisContext* ctx_ = nullptr;
};

}  // namespace llms::cluster
