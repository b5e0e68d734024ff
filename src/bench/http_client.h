// HttpClient: an asynchronous HTTP/1.1 client for one endpoint (Boost.Beast, C++20 coroutines on
// the caller's io_context), with a pool of kept-alive connections so a benchmark at thousands of
// requests per second neither pays a connect per request nor runs out of ports. Streamed
// responses are delivered piece by piece as their bytes arrive (chunked, length-delimited or
// close-delimited bodies alike), each piece stamped with its arrival time.
#pragma once

#include <utility>  // before Asio 1.18: its awaitable.hpp uses std::exchange unincluded

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace llms::bench {

struct Endpoint {
  std::string host = "127.0.0.1";
  std::string port = "80";
  std::string base_path;  // e.g. "" or "/proxy"; routes are appended ("/v1/models")
};
// "http://HOST[:PORT][/PATH]"; https is not supported (put a TLS proxy in front).
Result<Endpoint> ParseEndpoint(const std::string& url);

struct HttpResult {
  int status = 0;           // 0: no response (connection error; see error)
  std::string error;        // transport error, empty when a response arrived
  std::string body;         // the whole body unless streamed
  std::string retry_after;  // the Retry-After header, if any
};

class HttpClient {
 public:
  using Clock = std::chrono::steady_clock;
  // Called with each piece of a streamed body and the time it arrived.
  using OnData = std::function<void(std::string_view, Clock::time_point)>;

  HttpClient(boost::asio::io_context& io, Endpoint endpoint, std::string api_key);
  ~HttpClient();

  boost::asio::awaitable<HttpResult> Get(const std::string& path);
  // POSTs a JSON body. With `on_data` the body streams to it (HttpResult::body stays empty);
  // `on_sent` is called the moment the request has been written.
  boost::asio::awaitable<HttpResult> Post(const std::string& path, const std::string& body,
                                          OnData on_data = nullptr,
                                          std::function<void(Clock::time_point)> on_sent = nullptr);
  // For precise open-loop sending: writes the POST synchronously on the calling thread (a
  // dispatcher thread that does nothing else, so its send times are not delayed by response
  // processing), over a pooled connection or a fresh one, then reads the response on the
  // client's io_context and calls `done` there. Thread-safe against the io_context's thread.
  void PostFromThread(const std::string& path, const std::string& body, OnData on_data,
                      std::function<void(Clock::time_point)> on_sent,
                      std::function<void(HttpResult)> done);
  // Opens one connection ahead of need when fewer than `idle_target` are idle (from the
  // dispatcher thread, while it waits); false when none was opened.
  bool Prewarm(int idle_target);
  // Connections opened in all (a measure of reuse).
  int64_t connections_opened() const { return opened_; }

 private:
  struct Conn;
  std::unique_ptr<Conn> TakeIdle();
  void PutIdle(std::unique_ptr<Conn> c);
  std::unique_ptr<Conn> ConnectSync(std::string* error);
  boost::beast::http::request<boost::beast::http::string_body> Build(int method,
                                                                     const std::string& path,
                                                                     const std::string& body) const;
  // Reads one response on `c` (already sent); `c` goes back to the pool when kept alive.
  boost::asio::awaitable<HttpResult> ReadResponse(std::unique_ptr<Conn> c, OnData on_data);
  // A pooled connection that is still open, else (or when `fresh`) a new one.
  boost::asio::awaitable<std::unique_ptr<Conn>> Acquire(std::string* error, bool fresh = false);
  // Sends and reads one request; once more on a new connection when a pooled one turns out closed.
  boost::asio::awaitable<HttpResult> Request(int method, const std::string& path,
                                             const std::string& body, OnData on_data,
                                             std::function<void(Clock::time_point)> on_sent,
                                             bool fresh = false);

  boost::asio::io_context& io_;
  Endpoint endpoint_;
  std::string api_key_;
  std::mutex mu_;  // guards idle_, resolved_ and opened_ (the dispatcher thread shares them)
  std::vector<std::unique_ptr<Conn>> idle_;
  std::vector<boost::asio::ip::tcp::endpoint> resolved_;
  std::atomic<int64_t> opened_{0};
};

}  // namespace llms::bench
