// The Redis client over hiredis: connecting with timeouts, commands by argv, replies converted.
#include "cluster/redis_client.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cmath>

#include "core/text.h"

namespace llms::cluster {

namespace {

timeval ToTimeval(double s) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(s);
  tv.tv_usec = static_cast<suseconds_t>((s - std::floor(s)) * 1e6);
  return tv;
}

RedisReply Convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

}  // namespace

Result<RedisAddress> ParseRedisUrl(const std::string& url) {
  std::string_view rest = url;
  if (rest.starts_with("redis://")) rest.remove_prefix(8);
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  RedisAddress a;
  const size_t colon = rest.rfind(':');
  a.host = std::string(rest.substr(0, colon));
  if (colon != std::string_view::npos) {
    const auto port = ParseInt(rest.substr(colon + 1));
    if (!port || *port <= 0 || *port > 65535) {
      return Status::Error("--cluster " + url +
                           ": the port is not a number from 1 to 65535 (redis://HOST:PORT)");
    }
    a.port = static_cast<int>(*port);
  }
  if (a.host.empty() || a.host.find('/') != std::string::npos) {
    return Status::Error("--cluster " + url + ": give the Redis server as redis://HOST:PORT");
  }
  return a;
}

RedisClient::RedisClient(RedisAddress address, double timeout_s)
    : address_(std::move(address)), timeout_s_(timeout_s) {}

RedisClient::~RedisClient() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

Status RedisClient::ConnectLocked() {
  if (ctx_ != nullptr) return Status::Ok();
  redisContext* c =
      redisConnectWithTimeout(address_.host.c_str(), address_.port, ToTimeval(timeout_s_));
  if (c == nullptr || c->err) {
    const std::string why = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    return Status::Error(fmt::format("cannot connect to Redis at {}: {}", address_.Url(), why));
  }
  redisSetTimeout(c, ToTimeval(timeout_s_));
  ctx_ = c;
  return Status::Ok();
}

Result<RedisReply> RedisClient::Command(const std::vector<std::string>& args) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = ConnectLocked(); !s.ok()) return s;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
  if (r == nullptr) {
    const std::string why = ctx_->errstr;
    redisFree(ctx_);  // broken: the next command connects again
    ctx_ = nullptr;
    return Status::Error(fmt::format("Redis at {}: {}", address_.Url(),
                                     why.empty() ? "the connection was lost" : why));
  }
  if (r->type == REDIS_REPLY_ERROR) {
    const std::string why(r->str, r->len);
    freeReplyObject(r);
    return Status::Error(fmt::format("Redis at {} refused {}: {}", address_.Url(),
                                     args.empty() ? "" : args.front(), why));
  }
  RedisReply out = Convert(r);
  freeReplyObject(r);
  return out;
}

}  // namespace llms::cluster
