// The HTTP front end: connections and their limits, routing, authentication, generation (whole
// or streamed; the work itself on worker threads), cancellation on disconnect, and draining.
#include "server/http_server.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <random>
#include <thread>
#include <unordered_set>
#include <variant>

namespace llms::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;
using Request = http::request<http::string_body>;
using Headers = std::vector<std::pair<std::string, std::string>>;
using SteadyClock = std::chrono::steady_clock;

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::chrono::milliseconds Ms(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

// What the operator sees on stderr: start, drain and trouble (stdout stays free).
void Say(const std::string& line) {
  fmt::print(stderr, "{}\n", line);
  std::fflush(stderr);
}

// "host:port", with an IPv6 address in brackets.
std::string HostPort(const std::string& host, uint16_t port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

ApiError NotFound(const std::string& what) {
  ApiError e;
  e.status = 404;
  e.message = what;
  return e;
}

ApiError ServerError(int status, std::string message, std::string code = "") {
  ApiError e;
  e.status = status;
  e.type = "server_error";
  e.message = std::move(message);
  e.code = std::move(code);
  return e;
}

std::vector<TokenLogprobJson> ToJson(const std::vector<LogprobEntry>& entries) {
  std::vector<TokenLogprobJson> out;
  out.reserve(entries.size());
  for (const LogprobEntry& e : entries) out.push_back({e.token, e.logprob, e.top});
  return out;
}

// Watches a connection while its request generates: a close (or an error) means the client is
// gone; bytes of a next request (pipelining, a stray CRLF) go to the session's buffer and the
// watch goes on. Stop() before the session reads again: a completion that arrives after it
// touches nothing (the stream may be gone by then).
class DisconnectWatcher : public std::enable_shared_from_this<DisconnectWatcher> {
 public:
  DisconnectWatcher(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                    std::function<void()> on_gone)
      : stream_(stream), buffer_(buffer), on_gone_(std::move(on_gone)) {}
  void Arm() {
    stream_.socket().async_wait(
        tcp::socket::wait_read,
        [self = shared_from_this()](const beast::error_code& ec) { self->Ready(ec); });
  }
  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    beast::error_code ignored;
    stream_.socket().cancel(ignored);
  }

 private:
  void Ready(const beast::error_code& ec) {
    if (stopped_ || ec == net::error::operation_aborted) return;
    beast::error_code e2;
    const size_t n = ec ? 0 : stream_.socket().available(e2);
    if (ec || e2 || n == 0) {
      on_gone_();
      return;
    }
    const size_t got = stream_.socket().read_some(buffer_.prepare(n), e2);
    if (e2) {
      on_gone_();
      return;
    }
    buffer_.commit(got);
    Arm();
  }
  beast::tcp_stream& stream_;
  beast::flat_buffer& buffer_;
  std::function<void()> on_gone_;
  bool stopped_ = false;
};

// How to answer a request: keep the connection, the HTTP version, and whether it was HEAD.
struct Answer {
  bool keep;
  unsigned version;
  bool head;
};

// Wake-ups from the scheduler threads are posted to the (single) I/O thread. One may run while
// the generation's coroutine is suspended in a write rather than on the timer, so it also leaves
// `pending` set, which the coroutine checks before waiting: none is lost. `posted` coalesces
// wake-ups: while one is queued, further tokens need no other post (the coroutine reads all
// progress when it runs), which keeps the scheduler's lock short.
struct Wake {
  explicit Wake(net::io_context& io) : timer(io, net::steady_timer::time_point::max()) {}
  net::steady_timer timer;
  bool pending = false;
  std::atomic<bool> posted{false};
  void Fire() {
    pending = true;
    timer.cancel();
  }
};

}  // namespace

class HttpServer::Impl {
 public:
  explicit Impl(ServerOptions options)
      : options_(std::move(options)), acceptor_(io_), signals_(io_, SIGTERM, SIGINT) {
    std::random_device rd;
    seed_base_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }

  ~Impl() { StopWorkers(); }

  void StopWorkers() {
    work_guard_.reset();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  Status Bind() {
    beast::error_code ec;
    const auto address = net::ip::make_address(options_.host, ec);
    if (ec) {
      return Status::Error(StatusCode::kInvalidArgument,
                           "--host '" + options_.host +
                               "' is not an IP address (use e.g. 127.0.0.1, 0.0.0.0 or ::1)");
    }
    const tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Error(StatusCode::kFailedPrecondition,
                           fmt::format("cannot listen on {}: {} (is another server using the port? "
                                       "pick another with --port)",
                                       HostPort(options_.host, options_.port), ec.message()));
    }
    return Status::Ok();
  }

  uint16_t port() const {
    beast::error_code ec;
    return acceptor_.local_endpoint(ec).port();
  }

  Status Run(ModelService* service) {
    service_ = service;
    StartWorkers();
    const uint16_t port = this->port();
    if (!options_.port_file.empty()) {
      const std::string tmp = options_.port_file + ".tmp";
      std::ofstream(tmp) << port << "\n";
      std::rename(tmp.c_str(), options_.port_file.c_str());
    }
    Say(fmt::format("aegaeon serve: listening on http://{} ({} models, policy {})",
                    HostPort(options_.host, port), service_->num_models(),
                    service_->config().policy));
    WaitSignal();
    net::co_spawn(io_, Accept(), net::detached);
    io_.run();
    // The workers finish what was posted to them (withdrawals, a /metrics being built) before
    // the service they use can go.
    StopWorkers();
    if (cut_ > 0) {
      return Status::Error(fmt::format(
          "the drain timeout ({} s) ended {} requests with an error before they finished",
          options_.drain_timeout_s, cut_));
    }
    return Status::Ok();
  }

 private:
  // Worker threads: parse, tokenize, submit, withdraw, metrics. Lower priority than the model's
  // threads, so a long prompt being tokenized slows the streams of others as little as it can.
  void StartWorkers() {
    for (int i = 0; i < std::max(1, options_.worker_threads); ++i) {
      workers_.emplace_back([this] {
        setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 5);
        work_io_.run();
      });
    }
  }

  // Runs `f` on a worker thread; the awaiting coroutine resumes on the I/O thread with its
  // result. (Not a coroutine itself, and callers pass a named lambda: GCC 12 mishandles
  // temporaries that live across a co_await.)
  template <typename F>
  awaitable<std::invoke_result_t<F>> OnWorker(F f) {
    using R = std::invoke_result_t<F>;
    return net::co_spawn(
        work_io_, [f = std::move(f)]() mutable -> awaitable<R> { co_return f(); }, use_awaitable);
  }

  void WaitSignal() {
    signals_.async_wait([this](const beast::error_code& e, int sig) {
      if (e) return;
      if (!service_->draining()) {
        BeginDrain(sig);
        WaitSignal();  // a second signal ends the drain at once
      } else {
        Say("aegaeon serve: second signal: ending the requests still in flight now");
        drain_deadline_ = SteadyClock::now();
      }
    });
  }

  void BeginDrain(int sig) {
    Say(fmt::format(
        "aegaeon serve: {} received: draining {} in-flight requests (new ones get "
        "503, at most {} s), then exiting",
        sig == SIGTERM ? "SIGTERM" : "SIGINT", service_->in_flight(), options_.drain_timeout_s));
    service_->BeginDrain();
    beast::error_code ec;
    acceptor_.close(ec);
    drain_deadline_ = SteadyClock::now() + Ms(options_.drain_timeout_s);
    net::co_spawn(io_, WaitDrained(), net::detached);
  }

  awaitable<void> WaitDrained() {
    net::steady_timer t(io_);
    while ((service_->in_flight() > 0 || active_ > 0) && SteadyClock::now() < drain_deadline_) {
      t.expires_after(std::chrono::milliseconds(20));
      co_await t.async_wait(use_awaitable);
    }
    if (active_ > 0 || service_->in_flight() > 0) {
      // Past the deadline: every generation still running ends with an explicit error.
      cut_ = active_;
      Say(fmt::format("aegaeon serve: drain timeout ({} s): ending {} requests with an error",
                      options_.drain_timeout_s, active_));
      hard_stop_ = true;
      for (Wake* w : wakes_) w->Fire();
      const auto give_up = SteadyClock::now() + std::chrono::seconds(5);
      while (active_ > 0 && SteadyClock::now() < give_up) {
        t.expires_after(std::chrono::milliseconds(10));
        co_await t.async_wait(use_awaitable);
      }
    } else {
      Say("aegaeon serve: drained, exiting");
    }
    io_.stop();
  }

  awaitable<void> Accept() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(net::redirect_error(use_awaitable, ec));
      if (ec) {
        if (!acceptor_.is_open()) co_return;
        if (ec == net::error::no_descriptors) {
          ++fd_failures_;
          if (SteadyClock::now() >= next_fd_log_) {
            Say(
                fmt::format("aegaeon serve: out of file descriptors ({} connections refused "
                            "since the last note); raise `ulimit -n` or lower "
                            "--max-connections",
                            fd_failures_));
            fd_failures_ = 0;
            next_fd_log_ = SteadyClock::now() + std::chrono::seconds(10);
          }
          net::steady_timer t(io_);
          t.expires_after(std::chrono::milliseconds(50));
          co_await t.async_wait(use_awaitable);
        }
        continue;
      }
      if (connections_ >= options_.max_connections) {
        net::co_spawn(io_, Refuse(std::move(socket)), net::detached);
        continue;
      }
      // Tokens are small writes that must leave at once: without TCP_NODELAY a kept-alive
      // client's delayed ACK holds each event behind the previous one (tens of ms).
      socket.set_option(tcp::no_delay(true), ec);
      net::co_spawn(io_, Session(std::move(socket)), net::detached);
    }
  }

  // Over the connection cap: a 503 with Retry-After, then close.
  awaitable<void> Refuse(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    ApiError e = ServerError(
        503,
        fmt::format("the server holds {} connections, its limit (--max-connections): retry later",
                    options_.max_connections),
        "too_many_connections");
    co_await SendError(stream, e, Answer{false, 11, false});
    co_await LingeringClose(stream);
  }

  awaitable<void> Session(tcp::socket socket) {
    ++connections_;
    struct Count {
      int* n;
      ~Count() { --*n; }
    } count{&connections_};
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (bool first = true;; first = false) {
      beast::error_code ec;
      if (!first && buffer.size() == 0) {
        // Idle between requests: the next one's first bytes must come within the keep-alive
        // timeout.
        stream.expires_after(Ms(options_.keep_alive_timeout_s));
        const size_t n = co_await stream.async_read_some(buffer.prepare(4096),
                                                         net::redirect_error(use_awaitable, ec));
        if (ec) break;
        buffer.commit(n);
      }
      http::request_parser<http::string_body> parser;
      parser.body_limit(options_.max_body_bytes);
      stream.expires_after(Ms(options_.header_timeout_s));
      co_await http::async_read_header(stream, buffer, parser,
                                       net::redirect_error(use_awaitable, ec));
      if (ec) {
        // A timeout closed the connection already (as nginx does, without an answer).
        if (ec == http::error::body_limit) {  // its Content-Length says too much
          co_await SendError(stream, TooLarge(), Answer{false, 11, false});
        } else if (ec != beast::error::timeout && ec != http::error::end_of_stream &&
                   ec != net::error::connection_reset && ec != net::error::eof) {
          // A malformed request line or header: answer 400 and close.
          co_await SendError(stream, BadRequest("malformed HTTP request: " + ec.message()),
                             Answer{false, 11, false});
        }
        break;
      }
      const unsigned version = parser.get().version();
      const auto length = parser.content_length();
      if (length && *length > options_.max_body_bytes) {
        co_await SendError(stream, TooLarge(), Answer{false, version, false});
        break;
      }
      if (version >= 11 && !parser.is_done()) {
        const auto expect = parser.get().find(http::field::expect);
        if (expect != parser.get().end() &&
            IEquals(std::string_view(expect->value().data(), expect->value().size()),
                    "100-continue")) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          stream.expires_after(Ms(options_.body_timeout_s));
          co_await net::async_write(stream, net::buffer(kContinue.data(), kContinue.size()),
                                    net::redirect_error(use_awaitable, ec));
          if (ec) break;
        }
      }
      if (!parser.is_done()) {
        stream.expires_after(Ms(options_.body_timeout_s));
        co_await http::async_read(stream, buffer, parser, net::redirect_error(use_awaitable, ec));
        if (ec == http::error::body_limit) {
          co_await SendError(stream, TooLarge(), Answer{false, version, false});
          break;
        }
        if (ec) {
          if (ec != beast::error::timeout && ec != net::error::connection_reset &&
              ec != net::error::eof && ec != http::error::partial_message) {
            co_await SendError(stream, BadRequest("malformed HTTP request: " + ec.message()),
                               Answer{false, version, false});
          }
          break;
        }
      }
      stream.expires_never();
      Request req = parser.release();
      const bool keep =
          co_await Handle(stream, buffer, req) && req.keep_alive() && !service_->draining();
      if (!keep) break;
    }
    co_await LingeringClose(stream);
  }

  // A lingering close, as nginx does: stop sending, then read and discard what the client still
  // sends (the rest of an oversized body, a request never read) until it closes, for at most a
  // few seconds. Closing with unread data would reset the connection and could destroy the
  // answer (a 413, a 503) before the client read it.
  static awaitable<void> LingeringClose(beast::tcp_stream& stream) {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(std::chrono::seconds(5));
    std::array<char, 16384> discard;
    while (!ec) {
      co_await stream.async_read_some(net::buffer(discard), net::redirect_error(use_awaitable, ec));
    }
  }

  ApiError TooLarge() const {
    ApiError e;
    e.status = 413;
    e.message = fmt::format("the request body is larger than {} bytes (--max-body-mb)",
                            options_.max_body_bytes);
    return e;
  }

  awaitable<bool> Send(beast::tcp_stream& stream, http::status status, const std::string& type,
                       std::string body, Answer a, const Headers& headers = {}) {
    const bool keep_alive = a.keep, head = a.head;
    http::response<http::string_body> res{status, a.version == 10 ? 10u : 11u};
    res.set(http::field::server, "aegaeon");
    res.set(http::field::content_type, type);
    for (const auto& [k, v] : headers) res.set(k, v);
    res.keep_alive(keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();
    if (head) res.body().clear();  // HEAD: the GET answer's headers (its Content-Length) only
    stream.expires_after(std::chrono::seconds(60));
    beast::error_code ec;
    if (head) {
      http::response_serializer<http::string_body> sr{res};
      co_await http::async_write_header(stream, sr, net::redirect_error(use_awaitable, ec));
    } else {
      co_await http::async_write(stream, res, net::redirect_error(use_awaitable, ec));
    }
    stream.expires_never();
    co_return !ec;
  }

  awaitable<bool> SendError(beast::tcp_stream& stream, const ApiError& e, Answer a) {
    Headers headers;
    if (e.status == 429 || e.status == 503) headers.emplace_back("Retry-After", "1");
    if (e.status == 401) headers.emplace_back("WWW-Authenticate", "Bearer");
    co_return co_await Send(stream, static_cast<http::status>(e.status), "application/json",
                            ErrorBody(e), a, headers);
  }

  std::optional<ApiError> CheckAuth(const Request& req) const {
    if (options_.api_key.empty()) return std::nullopt;
    const auto it = req.find(http::field::authorization);
    if (it != req.end()) {
      // The scheme is case-insensitive (RFC 9110), the key exact.
      std::string_view v(it->value().data(), it->value().size());
      const size_t space = v.find(' ');
      if (space != std::string_view::npos && IEquals(v.substr(0, space), "Bearer")) {
        std::string_view key = v.substr(space);
        while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
        if (key == options_.api_key) return std::nullopt;
      }
    }
    ApiError e;
    e.status = 401;
    e.message = it == req.end() ? "no API key: send the header 'Authorization: Bearer YOUR_KEY'"
                                : "incorrect API key provided";
    e.code = "invalid_api_key";
    return e;
  }

  awaitable<bool> Handle(beast::tcp_stream& stream, beast::flat_buffer& buffer, Request& req) {
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    const bool head = req.method() == http::verb::head;
    const bool get = req.method() == http::verb::get || head;
    // A HEAD request's answer, errors included, has the headers of the GET answer and no body.
    const Answer a{req.keep_alive(), req.version(), head};
    if (path == "/health") {
      if (!get) co_return co_await MethodNotAllowed(stream, "GET, HEAD", a);
      if (service_->draining()) {
        // (Named, not braced in the co_await: GCC 12 cannot keep an initializer list's array
        // alive across a suspension.)
        const Headers retry{{"Retry-After", "1"}};
        co_return co_await Send(stream, http::status::service_unavailable, "application/json",
                                R"({"status":"draining"})", a, retry);
      }
      co_return co_await Send(stream, http::status::ok, "application/json", R"({"status":"ok"})",
                              a);
    }
    if (path == "/metrics") {
      if (!get) co_return co_await MethodNotAllowed(stream, "GET, HEAD", a);
      auto metrics = [this] { return service_->MetricsText(); };
      std::string text = co_await OnWorker(std::move(metrics));
      co_return co_await Send(stream, http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                              std::move(text), a);
    }
    if (path.rfind("/v1/", 0) != 0) {
      co_return co_await SendError(stream,
                                   NotFound("no route " + path +
                                            ": the API is under /v1 (models, completions, "
                                            "chat/completions), with /health and /metrics"),
                                   a);
    }
    if (auto e = CheckAuth(req)) co_return co_await SendError(stream, *e, a);
    if (path == "/v1/models" || path.rfind("/v1/models/", 0) == 0) {
      if (!get) co_return co_await MethodNotAllowed(stream, "GET, HEAD", a);
      std::vector<ModelCard> cards = service_->Cards();
      if (path == "/v1/models") {
        co_return co_await Send(stream, http::status::ok, "application/json", ModelList(cards), a);
      }
      const std::string id = path.substr(std::string("/v1/models/").size());
      for (const ModelCard& c : cards) {
        if (c.id == id) {
          co_return co_await Send(stream, http::status::ok, "application/json", ModelObject(c), a);
        }
      }
      co_return co_await SendError(stream, service_->UnknownModel(id), a);
    }
    if (path == "/v1/completions" || path == "/v1/chat/completions") {
      if (req.method() != http::verb::post) {
        co_return co_await MethodNotAllowed(stream, "POST", a);
      }
      ++active_;
      struct Count {
        int* n;
        ~Count() { --*n; }
      } count{&active_};
      co_return co_await Generate(stream, buffer, req, path == "/v1/chat/completions");
    }
    co_return co_await SendError(stream, NotFound("no route " + path), a);
  }

  awaitable<bool> MethodNotAllowed(beast::tcp_stream& stream, const char* allowed, Answer a) {
    ApiError e;
    e.status = 405;
    e.message = fmt::format("use {} for this route", allowed);
    const Headers allow{{"Allow", allowed}};
    co_return co_await Send(stream, http::status::method_not_allowed, "application/json",
                            ErrorBody(e), a, allow);
  }

  // A request parsed, validated, tokenized and accepted by the scheduler.
  struct Accepted {
    GenerationParams params;
    std::shared_ptr<Generation> gen;
    std::string echo;  // the prompt's text, when `echo` asked for it
  };

  // On a worker thread: parse the body, find the model, check the prompt's size, tokenize, build
  // the scheduler request and submit it (the waker is set before, so no progress is missed).
  std::variant<Accepted, ApiError> Prepare(const std::string& body, bool chat,
                                           std::function<void()> waker) {
    auto parsed = ParseGenerationRequest(body, chat);
    if (auto* e = std::get_if<ApiError>(&parsed)) {
      service_->CountRejected("", e->status);
      return *e;
    }
    Accepted a;
    a.params = std::move(std::get<GenerationParams>(parsed));
    auto gen = service_->NewGeneration(a.params, options_.max_prompt_bytes, &a.echo);
    if (auto* e = std::get_if<ApiError>(&gen)) return *e;
    a.gen = std::move(std::get<std::shared_ptr<Generation>>(gen));
    a.gen->SetWaker(std::move(waker));
    if (auto e = service_->Submit(a.gen)) return *e;
    return a;
  }

  awaitable<bool> Generate(beast::tcp_stream& stream, beast::flat_buffer& buffer, Request& req,
                           bool chat) {
    const bool keep = req.keep_alive();
    const unsigned version = req.version();
    auto wake = std::make_shared<Wake>(io_);
    auto waker = [this, wake] {
      if (wake->posted.exchange(true)) return;
      net::post(io_, [wake] {
        wake->posted = false;
        wake->Fire();
      });
    };
    auto prepare = [this, body = std::move(req.body()), chat, waker] {
      return Prepare(body, chat, waker);
    };
    std::variant<Accepted, ApiError> prepared = co_await OnWorker(std::move(prepare));
    if (auto* e = std::get_if<ApiError>(&prepared)) {
      co_return co_await SendError(stream, *e, Answer{keep, version, false});
    }
    Accepted accepted = std::move(std::get<Accepted>(prepared));
    const GenerationParams& p = accepted.params;
    std::shared_ptr<Generation> gen = accepted.gen;
    wakes_.insert(wake.get());
    struct Unregister {
      std::unordered_set<Wake*>* set;
      Wake* w;
      ~Unregister() { set->erase(w); }
    } unregister{&wakes_, wake.get()};
    auto cancel = [this, gen] {
      net::post(work_io_, [service = service_, gen] { service->Cancel(gen.get()); });
    };

    // A client that closes its connection cancels the request, streamed or not.
    auto gone = std::make_shared<bool>(false);
    auto watcher = std::make_shared<DisconnectWatcher>(stream, buffer, [wake, gone, cancel] {
      *gone = true;
      cancel();
      wake->Fire();
    });
    watcher->Arm();
    struct StopWatching {
      DisconnectWatcher* w;
      ~StopWatching() { w->Stop(); }
    } stop_watching{watcher.get()};

    const std::string id =
        fmt::format("{}-{:x}", chat ? "chatcmpl" : "cmpl", gen->request().id ^ seed_base_);
    const int64_t created = UnixNow();
    const int prompt_tokens = gen->request().prompt_tokens;
    const bool http10 = version == 10;
    std::string events;                // SSE events to write
    std::string text = accepted.echo;  // everything sent (non-streamed: the response)
    std::vector<TokenLogprobJson> all_logprobs;
    std::string finish_reason;
    std::optional<ApiError> failure;
    bool header_sent = false, first_chunk = true, write_failed = false;
    http::response<http::empty_body> header{http::status::ok, http10 ? 10u : 11u};
    header.set(http::field::server, "aegaeon");
    header.set(http::field::content_type, "text/event-stream");
    header.set(http::field::cache_control, "no-cache");
    header.keep_alive(keep && !http10);
    if (!http10) header.chunked(true);  // HTTP/1.0 has no chunks: the body ends at the close
    http::response_serializer<http::empty_body> serializer{header};

    auto write = [&](const std::string& data) -> awaitable<void> {
      if (write_failed) co_return;
      beast::error_code ec;
      stream.expires_after(std::chrono::seconds(60));
      if (!header_sent) {
        co_await http::async_write_header(stream, serializer,
                                          net::redirect_error(use_awaitable, ec));
        header_sent = true;
      }
      if (!ec) {
        if (http10) {
          co_await net::async_write(stream, net::buffer(data),
                                    net::redirect_error(use_awaitable, ec));
        } else {
          co_await net::async_write(stream, http::make_chunk(net::buffer(data)),
                                    net::redirect_error(use_awaitable, ec));
        }
      }
      stream.expires_never();
      if (ec) {
        write_failed = true;
        cancel();
      }
    };

    if (p.stream && !accepted.echo.empty()) {
      events += StreamChunk(p, id, created, accepted.echo, "", first_chunk);
      first_chunk = false;
    }
    wake->timer.expires_at(SteadyClock::now() + Ms(options_.max_generation_s));
    size_t next = 0;
    int tokens = 0;
    for (;;) {
      wake->pending = false;  // whatever fires from here on is seen before the next wait
      Generation::Progress pr = gen->Read(next);
      next = pr.next;
      tokens = pr.tokens;
      for (TextDelta& d : pr.deltas) {
        std::vector<TokenLogprobJson> lps = ToJson(d.logprobs);
        if (p.stream) {
          if (!d.text.empty() || !lps.empty()) {
            events += StreamChunk(p, id, created, d.text, "", first_chunk, &lps, text.size());
            first_chunk = false;
          }
        } else {
          all_logprobs.insert(all_logprobs.end(), lps.begin(), lps.end());
        }
        text += d.text;
      }
      // The tokens that arrived together leave in one write (still one event each).
      if (!events.empty()) {
        co_await write(events);
        events.clear();
      }
      switch (pr.end) {
        case GenerationEnd::kRunning:
          break;
        case GenerationEnd::kStop:
          finish_reason = "stop";
          break;
        case GenerationEnd::kLength:
          finish_reason = "length";
          break;
        case GenerationEnd::kCancelled:
          *gone = true;  // nobody to answer (or the server gave up on it, which said so)
          break;
        case GenerationEnd::kFailed:
          failure = ServerError(500, "the generation failed: " + pr.error);
          break;
        case GenerationEnd::kInternal:
          failure = ServerError(
              500,
              fmt::format("internal error while generating (request {}); the server's log "
                          "has the details",
                          gen->request().id),
              "internal_error");
          break;
      }
      if (!finish_reason.empty() || failure || write_failed || *gone) break;
      if (hard_stop_) {
        failure = ServerError(503,
                              "the server shut down before this request finished (its drain "
                              "timeout passed): retry on another replica",
                              "service_unavailable");
        cancel();
        break;
      }
      if (SteadyClock::now() >= wake->timer.expiry()) {
        failure =
            ServerError(500,
                        fmt::format("the generation ran longer than this server allows ({} s, "
                                    "--max-generation-time)",
                                    options_.max_generation_s),
                        "generation_timeout");
        cancel();
        break;
      }
      beast::error_code woken;  // operation_aborted: new progress (or the client left)
      if (!wake->pending) {
        co_await wake->timer.async_wait(net::redirect_error(use_awaitable, woken));
      }
    }
    watcher->Stop();
    if (write_failed || *gone) co_return false;

    const Usage usage{prompt_tokens, tokens};
    if (!p.stream) {
      const Answer whole{keep && !http10, version, false};
      if (failure) co_return co_await SendError(stream, *failure, whole);
      co_return co_await Send(stream, http::status::ok, "application/json",
                              CompletionResponse(p, id, created, text, finish_reason, usage,
                                                 &all_logprobs, accepted.echo.size()),
                              whole);
    }
    if (failure) {
      co_await write(StreamError(*failure));
    } else {
      co_await write(StreamChunk(p, id, created, "", finish_reason, first_chunk));
    }
    if (p.include_usage) co_await write(UsageChunk(p, id, created, usage));
    co_await write(std::string(kStreamDone));
    if (write_failed) co_return false;
    if (http10) co_return false;  // the close ends the body
    beast::error_code ec;
    co_await net::async_write(stream, http::make_chunk_last(),
                              net::redirect_error(use_awaitable, ec));
    co_return !ec && !failure;
  }

  ServerOptions options_;
  ModelService* service_ = nullptr;
  // Declared before io_: coroutines that io_'s destructor destroys still update these.
  int active_ = 0;       // generations in progress (I/O thread only)
  int connections_ = 0;  // open connections (I/O thread only)
  int cut_ = 0;          // generations ended by the drain timeout
  bool hard_stop_ = false;
  std::unordered_set<Wake*> wakes_;  // of the generations in progress
  SteadyClock::time_point drain_deadline_{};
  SteadyClock::time_point next_fd_log_{};
  int64_t fd_failures_ = 0;
  uint64_t seed_base_ = 0;  // mixed into response ids
  net::io_context io_{1};
  net::io_context work_io_;
  net::executor_work_guard<net::io_context::executor_type> work_guard_{work_io_.get_executor()};
  std::vector<std::thread> workers_;
  tcp::acceptor acceptor_;
  net::signal_set signals_;
};

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpServer::~HttpServer() = default;
Status HttpServer::Bind() {
  return impl_->Bind();
}
Status HttpServer::Run(ModelService* service) {
  return impl_->Run(service);
}
uint16_t HttpServer::port() const {
  return impl_->port();
}

}  // namespace llms::server
