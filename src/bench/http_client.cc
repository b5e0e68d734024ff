// The benchmark's HTTP client: connection pool, request writing, streamed response reading.
#include "bench/http_client.h"

#include <fmt/format.h>
#include <poll.h>

#include <boost/beast/http.hpp>
#include <limits>

namespace llms::bench {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;

struct HttpClient::Conn {
  explicit Conn(net::io_context& io) : stream(io) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  bool reused = false;
};

Result<Endpoint> ParseEndpoint(const std::string& url) {
  std::string rest = url;
  if (rest.rfind("https://", 0) == 0) {
    return Result<Endpoint>::Error("--endpoint " + url +
                                   ": https is not supported; use http:// (or a local TLS proxy)");
  }
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  Endpoint e;
  const size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  if (slash != std::string::npos) e.base_path = rest.substr(slash);
  while (!e.base_path.empty() && e.base_path.back() == '/') e.base_path.pop_back();
  if (e.base_path.size() >= 3 && e.base_path.substr(e.base_path.size() - 3) == "/v1") {
    e.base_path.resize(e.base_path.size() - 3);  // "http://host:port/v1" as OpenAI clients take it
  }
  const size_t colon = hostport.rfind(':');
  if (colon != std::string::npos && hostport.find(']') == std::string::npos) {
    e.host = hostport.substr(0, colon);
    e.port = hostport.substr(colon + 1);
  } else {
    e.host = hostport;
  }
  if (e.host.empty()) return Result<Endpoint>::Error("--endpoint " + url + ": no host");
  if (e.port.empty() || e.port.find_first_not_of("0123456789") != std::string::npos) {
    return Result<Endpoint>::Error("--endpoint " + url + ": the port must be a number");
  }
  return e;
}

HttpClient::HttpClient(net::io_context& io, Endpoint endpoint, std::string api_key)
    : io_(io), endpoint_(std::move(endpoint)), api_key_(std::move(api_key)) {}

HttpClient::~HttpClient() = default;

namespace {

// Whether an idle connection can carry a request: the server has neither closed it (an idle or
// header timeout) nor sent anything unasked. A zero-timeout poll, as HTTP clients check pooled
// connections before reuse.
bool StillOpen(tcp::socket& socket) {
  pollfd p{};
  p.fd = socket.native_handle();
  p.events = POLLIN | POLLRDHUP;
  return ::poll(&p, 1, 0) == 0;
}

}  // namespace

std::unique_ptr<HttpClient::Conn> HttpClient::TakeIdle() {
  std::lock_guard<std::mutex> lock(mu_);
  while (!idle_.empty()) {
    std::unique_ptr<Conn> c = std::move(idle_.back());
    idle_.pop_back();
    if (c->buffer.size() > 0 || !StillOpen(c->stream.socket())) continue;  // closed: drop it
    c->reused = true;
    return c;
  }
  return nullptr;
}

void HttpClient::PutIdle(std::unique_ptr<Conn> c) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(c));
}

std::unique_ptr<HttpClient::Conn> HttpClient::ConnectSync(std::string* error) {
  std::vector<tcp::endpoint> endpoints;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (resolved_.empty()) {
      beast::error_code ec;
      tcp::resolver resolver(io_);
      auto results = resolver.resolve(endpoint_.host, endpoint_.port, ec);
      if (ec) {
        *error = fmt::format("cannot resolve {}: {}", endpoint_.host, ec.message());
        return nullptr;
      }
      for (const auto& r : results) resolved_.push_back(r.endpoint());
    }
    endpoints = resolved_;
  }
  auto c = std::make_unique<Conn>(io_);
  beast::error_code ec;
  for (const tcp::endpoint& e : endpoints) {
    c->stream.socket().close(ec);
    c->stream.socket().connect(e, ec);
    if (!ec) break;
  }
  if (ec) {
    *error =
        fmt::format("cannot connect to {}:{}: {}", endpoint_.host, endpoint_.port, ec.message());
    return nullptr;
  }
  c->stream.socket().set_option(tcp::no_delay(true), ec);
  ++opened_;
  return c;
}

bool HttpClient::Prewarm(int idle_target) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (static_cast<int>(idle_.size()) >= idle_target) return false;
  }
  std::string error;
  auto c = ConnectSync(&error);
  if (!c) return false;
  PutIdle(std::move(c));
  return true;
}

awaitable<std::unique_ptr<HttpClient::Conn>> HttpClient::Acquire(std::string* error, bool fresh) {
  if (!fresh) {
    if (auto c = TakeIdle()) co_return c;
  }
  beast::error_code ec;
  std::vector<tcp::endpoint> endpoints;
  {
    std::lock_guard<std::mutex> lock(mu_);
    endpoints = resolved_;
  }
  if (endpoints.empty()) {
    tcp::resolver resolver(io_);
    auto results = co_await resolver.async_resolve(endpoint_.host, endpoint_.port,
                                                   net::redirect_error(use_awaitable, ec));
    if (ec) {
      *error = fmt::format("cannot resolve {}: {}", endpoint_.host, ec.message());
      co_return nullptr;
    }
    for (const auto& r : results) endpoints.push_back(r.endpoint());
    std::lock_guard<std::mutex> lock(mu_);
    resolved_ = endpoints;
  }
  auto c = std::make_unique<Conn>(io_);
  c->stream.expires_after(std::chrono::seconds(10));
  co_await c->stream.async_connect(endpoints, net::redirect_error(use_awaitable, ec));
  if (ec) {
    *error =
        fmt::format("cannot connect to {}:{}: {}", endpoint_.host, endpoint_.port, ec.message());
    co_return nullptr;
  }
  c->stream.socket().set_option(tcp::no_delay(true), ec);
  ++opened_;
  co_return c;
}

awaitable<HttpResult> HttpClient::Get(const std::string& path) {
  co_return co_await Request(static_cast<int>(http::verb::get), path, "", nullptr, nullptr);
}

awaitable<HttpResult> HttpClient::Post(const std::string& path, const std::string& body,
                                       OnData on_data,
                                       std::function<void(Clock::time_point)> on_sent) {
  co_return co_await Request(static_cast<int>(http::verb::post), path, body, std::move(on_data),
                             std::move(on_sent));
}

http::request<http::string_body> HttpClient::Build(int method, const std::string& path,
                                                   const std::string& body) const {
  http::request<http::string_body> req{static_cast<http::verb>(method), endpoint_.base_path + path,
                                       11};
  req.set(http::field::host, endpoint_.host + ":" + endpoint_.port);
  req.set(http::field::user_agent, "aegaeon-bench");
  if (!api_key_.empty()) req.set(http::field::authorization, "Bearer " + api_key_);
  if (method == static_cast<int>(http::verb::post)) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.keep_alive(true);
  req.prepare_payload();
  return req;
}

namespace {

bool ClosedByPeer(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe;
}

}  // namespace

awaitable<HttpResult> HttpClient::ReadResponse(std::unique_ptr<Conn> c, OnData on_data) {
  HttpResult result;
  beast::error_code ec;
  http::response_parser<http::buffer_body> parser;
  // A finite limit: Beast 1.74 compares Content-Length with an unset limit as if it were 0.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  c->stream.expires_after(std::chrono::seconds(600));
  co_await http::async_read_header(c->stream, c->buffer, parser,
                                   net::redirect_error(use_awaitable, ec));
  if (ec) {
    result.error = ClosedByPeer(ec) ? "closed" : ec.message();
    co_return result;
  }
  result.status = static_cast<int>(parser.get().result_int());
  if (auto it = parser.get().find(http::field::retry_after); it != parser.get().end()) {
    result.retry_after = std::string(it->value());
  }
  const bool stream_body = on_data && result.status == 200;
  char data[16384];
  while (!parser.is_done()) {
    parser.get().body().data = data;
    parser.get().body().size = sizeof data;
    co_await http::async_read_some(c->stream, c->buffer, parser,
                                   net::redirect_error(use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    const size_t got = sizeof data - parser.get().body().size;
    if (got > 0) {
      if (stream_body) {
        on_data(std::string_view(data, got), Clock::now());
      } else {
        result.body.append(data, got);
      }
    }
    if (ec) break;
  }
  if (ec && !parser.is_done()) {
    result.error = "the response was cut off: " + ec.message();
    co_return result;
  }
  if (parser.get().keep_alive()) PutIdle(std::move(c));
  co_return result;
}

awaitable<HttpResult> HttpClient::Request(int method, const std::string& path,
                                          const std::string& body, OnData on_data,
                                          std::function<void(Clock::time_point)> on_sent,
                                          bool fresh) {
  const http::request<http::string_body> req = Build(method, path, body);
  HttpResult result;
  for (int attempt = 0; attempt < 2; ++attempt) {
    // A retry never takes another pooled connection: it may be as stale as the first.
    std::unique_ptr<Conn> c = co_await Acquire(&result.error, fresh || attempt > 0);
    if (!c) co_return result;
    const bool reused = c->reused;
    beast::error_code ec;
    c->stream.expires_after(std::chrono::seconds(30));
    co_await http::async_write(c->stream, req, net::redirect_error(use_awaitable, ec));
    if (ec) {
      if (reused && attempt == 0) continue;  // a kept-alive connection the server closed
      result.error = ec.message();
      co_return result;
    }
    if (on_sent) on_sent(Clock::now());
    result = co_await ReadResponse(std::move(c), on_data);
    if (result.error == "closed" && reused && attempt == 0) continue;
    if (result.error == "closed") result.error = "the server closed the connection";
    co_return result;
  }
  co_return result;
}

void HttpClient::PostFromThread(const std::string& path, const std::string& body, OnData on_data,
                                std::function<void(Clock::time_point)> on_sent,
                                std::function<void(HttpResult)> done) {
  const http::request<http::string_body> req =
      Build(static_cast<int>(http::verb::post), path, body);
  HttpResult failed;
  std::unique_ptr<Conn> c;
  for (int attempt = 0; attempt < 2 && !c; ++attempt) {
    c = attempt == 0 ? TakeIdle() : nullptr;
    if (!c) c = ConnectSync(&failed.error);
    if (!c) break;
    beast::error_code ec;
    http::write(c->stream.socket(), req, ec);
    if (ec) {
      failed.error = ec.message();
      c.reset();  // a kept-alive connection the server closed: once more on a fresh one
    }
  }
  if (!c) {
    net::post(io_, [done, failed] { done(failed); });
    return;
  }
  if (on_sent) on_sent(Clock::now());
  // The socket now belongs to the io_context's thread (this thread no longer touches it).
  const bool reused = c->reused;
  auto conn = std::make_shared<std::unique_ptr<Conn>>(std::move(c));
  net::post(io_, [this, conn, on_data, done, reused, path, body] {
    net::co_spawn(
        io_,
        [this, conn, on_data, done, reused, path, body]() -> awaitable<void> {
          HttpResult r = co_await ReadResponse(std::move(*conn), on_data);
          if (r.error == "closed" && reused) {
            // The server had closed the kept-alive connection: resend on a fresh one.
            r = co_await Request(static_cast<int>(http::verb::post), path, body, on_data, nullptr,
                                 /*fresh=*/true);
          }
          if (r.error == "closed") r.error = "the server closed the connection";
          done(std::move(r));
        },
        net::detached);
  });
}

}  // namespace llms::bench
