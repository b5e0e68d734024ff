// The HTTP front end: connections, routing, authentication, generation (whole or streamed),
// cancellation on disconnect, and draining on SIGTERM.
#include "server/http_server.h"

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <random>

#include "engine/tokenizer.h"

namespace llms::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;

using Request = http::request<http::string_body>;

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What the operator sees on stderr: start, drain and trouble (stdout stays free).
void Say(const std::string& line) {
  fmt::print(stderr, "{}\n", line);
  std::fflush(stderr);
}

ApiError NotFound(const std::string& what) {
  ApiError e;
  e.status = 404;
  e.message = what;
  return e;
}

class Server {
 public:
  Server(ModelService* service, const ServerOptions& options)
      : service_(service), options_(options), acceptor_(io_), signals_(io_, SIGTERM, SIGINT) {
    std::random_device rd;
    seed_base_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }

  Status Run() {
    beast::error_code ec;
    const auto address = net::ip::make_address(options_.host, ec);
    if (ec) return Status::Error("--host '" + options_.host + "' is not an IP address");
    const tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Error(
          fmt::format("cannot listen on {}:{}: {} (is another server using the "
                      "port? pick another with --port)",
                      options_.host, options_.port, ec.message()));
    }
    const uint16_t port = acceptor_.local_endpoint().port();
    if (!options_.port_file.empty()) {
      const std::string tmp = options_.port_file + ".tmp";
      std::ofstream(tmp) << port << "\n";
      std::rename(tmp.c_str(), options_.port_file.c_str());
    }
    Say(fmt::format("aegaeon serve: listening on http://{}:{} ({} models, policy {})",
                    options_.host, port, service_->num_models(), service_->config().policy));
    signals_.async_wait([this](const beast::error_code& e, int sig) {
      if (!e) BeginDrain(sig);
    });
    net::co_spawn(io_, Accept(), net::detached);
    io_.run();
    return Status::Ok();
  }

 private:
  void BeginDrain(int sig) {
    Say(
        fmt::format("aegaeon serve: {} received: draining {} in-flight requests (new ones get "
                    "503), then exiting",
                    sig == SIGTERM ? "SIGTERM" : "SIGINT", service_->in_flight()));
    service_->BeginDrain();
    beast::error_code ec;
    acceptor_.close(ec);
    net::co_spawn(io_, WaitDrained(), net::detached);
  }

  awaitable<void> WaitDrained() {
    const auto deadline =
        std::chrono::steady_clock::now() +
        std::chrono::milliseconds(static_cast<int64_t>(options_.drain_timeout_s * 1000));
    net::steady_timer t(io_);
    while ((service_->in_flight() > 0 || active_ > 0) &&
           std::chrono::steady_clock::now() < deadline) {
      t.expires_after(std::chrono::milliseconds(20));
      co_await t.async_wait(use_awaitable);
    }
    if (service_->in_flight() > 0) {
      Say(fmt::format("aegaeon serve: drain timeout ({} s) with {} requests in flight",
                      options_.drain_timeout_s, service_->in_flight()));
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
          Say("aegaeon serve: out of file descriptors; raise `ulimit -n`");
          net::steady_timer t(io_);
          t.expires_after(std::chrono::milliseconds(50));
          co_await t.async_wait(use_awaitable);
        }
        continue;
      }
      net::co_spawn(io_, Session(std::move(socket)), net::detached);
    }
  }

  awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options_.max_body_bytes);
      stream.expires_after(std::chrono::seconds(300));
      beast::error_code ec;
      co_await http::async_read(stream, buffer, parser, net::redirect_error(use_awaitable, ec));
      if (ec == http::error::body_limit) {
        ApiError e;
        e.status = 413;
        e.message =
            fmt::format("the request body is larger than {} bytes", options_.max_body_bytes);
        co_await SendError(stream, e, false);
        break;
      }
      if (ec) {
        if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
            ec != net::error::connection_reset && ec != net::error::eof) {
          // A malformed request line or header: answer 400 and close.
          co_await SendError(stream, BadRequest("malformed HTTP request: " + ec.message()), false);
        }
        break;
      }
      Request req = parser.release();
      const bool keep = co_await Handle(stream, req) && req.keep_alive();
      if (!keep) break;
    }
    // A lingering close, as nginx does: stop sending, then read and discard what the client
    // still sends (the rest of an oversized body) until it closes, for at most a few seconds.
    // Closing with unread data would reset the connection and could destroy the answer (a 413)
    // before the client read it.
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(std::chrono::seconds(5));
    std::array<char, 16384> discard;
    while (!ec) {
      co_await stream.async_read_some(net::buffer(discard), net::redirect_error(use_awaitable, ec));
    }
  }

  awaitable<bool> Send(beast::tcp_stream& stream, http::status status, const std::string& type,
                       std::string body, bool keep_alive,
                       const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    http::response<http::string_body> res{status, 11};
    res.set(http::field::server, "aegaeon");
    res.set(http::field::content_type, type);
    for (const auto& [k, v] : headers) res.set(k, v);
    res.keep_alive(keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();
    stream.expires_after(std::chrono::seconds(60));
    beast::error_code ec;
    co_await http::async_write(stream, res, net::redirect_error(use_awaitable, ec));
    co_return !ec;
  }

  awaitable<bool> SendError(beast::tcp_stream& stream, const ApiError& e, bool keep_alive) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (e.status == 429 || e.status == 503) headers.emplace_back("Retry-After", "1");
    if (e.status == 401) headers.emplace_back("WWW-Authenticate", "Bearer");
    co_return co_await Send(stream, static_cast<http::status>(e.status), "application/json",
                            ErrorBody(e), keep_alive, headers);
  }

  std::optional<ApiError> CheckAuth(const Request& req) const {
    if (options_.api_key.empty()) return std::nullopt;
    const auto it = req.find(http::field::authorization);
    if (it != req.end() && it->value() == "Bearer " + options_.api_key) return std::nullopt;
    ApiError e;
    e.status = 401;
    e.message = it == req.end() ? "no API key: send the header 'Authorization: Bearer YOUR_KEY'"
                                : "incorrect API key provided";
    e.code = "invalid_api_key";
    return e;
  }

  awaitable<bool> Handle(beast::tcp_stream& stream, const Request& req) {
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    const bool keep = req.keep_alive();
    if (path == "/health") {
      if (req.method() != http::verb::get) co_return co_await MethodNotAllowed(stream, "GET", keep);
      if (service_->draining()) {
        // (Named, not braced in the co_await: GCC 12 cannot keep an initializer list's array
        // alive across a suspension.)
        const std::vector<std::pair<std::string, std::string>> retry{{"Retry-After", "1"}};
        co_return co_await Send(stream, http::status::service_unavailable, "application/json",
                                R"({"status":"draining"})", keep, retry);
      }
      co_return co_await Send(stream, http::status::ok, "application/json", R"({"status":"ok"})",
                              keep);
    }
    if (path == "/metrics") {
      if (req.method() != http::verb::get) co_return co_await MethodNotAllowed(stream, "GET", keep);
      co_return co_await Send(stream, http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                              service_->MetricsText(), keep);
    }
    if (path.rfind("/v1/", 0) != 0) {
      co_return co_await SendError(stream,
                                   NotFound("no route " + path +
                                            ": the API is under /v1 (models, completions, "
                                            "chat/completions), with /health and /metrics"),
                                   keep);
    }
    if (auto e = CheckAuth(req)) co_return co_await SendError(stream, *e, keep);
    if (path == "/v1/models" || path.rfind("/v1/models/", 0) == 0) {
      if (req.method() != http::verb::get) co_return co_await MethodNotAllowed(stream, "GET", keep);
      std::vector<ModelCard> cards = service_->Cards();
      if (path == "/v1/models") {
        co_return co_await Send(stream, http::status::ok, "application/json", ModelList(cards),
                                keep);
      }
      const std::string id = path.substr(std::string("/v1/models/").size());
      for (const ModelCard& c : cards) {
        if (c.id == id) {
          co_return co_await Send(stream, http::status::ok, "application/json", ModelObject(c),
                                  keep);
        }
      }
      co_return co_await SendError(stream, UnknownModel(id), keep);
    }
    if (path == "/v1/completions" || path == "/v1/chat/completions") {
      if (req.method() != http::verb::post) {
        co_return co_await MethodNotAllowed(stream, "POST", keep);
      }
      ++active_;
      const bool ok = co_await Generate(stream, req, path == "/v1/chat/completions");
      --active_;
      co_return ok;
    }
    co_return co_await SendError(stream, NotFound("no route " + path), keep);
  }

  awaitable<bool> MethodNotAllowed(beast::tcp_stream& stream, const char* allowed, bool keep) {
    ApiError e;
    e.status = 405;
    e.message = fmt::format("use {} for this route", allowed);
    const std::vector<std::pair<std::string, std::string>> allow{{"Allow", allowed}};
    co_return co_await Send(stream, http::status::method_not_allowed, "application/json",
                            ErrorBody(e), keep, allow);
  }

  ApiError UnknownModel(const std::string& name) const {
    std::string names;
    for (const ModelCard& c : service_->Cards()) names += (names.empty() ? "" : ", ") + c.id;
    ApiError e;
    e.status = 404;
    e.message = fmt::format("the model '{}' does not exist here; served models: {}", name, names);
    e.param = "model";
    e.code = "model_not_found";
    return e;
  }

  // Builds the scheduler request from validated parameters; an ApiError for what only the model
  // can judge (token ids out of its vocabulary, a prompt beyond its context).
  std::variant<serving::ServingRequest, ApiError> BuildRequest(const GenerationParams& p,
                                                               int model) const {
    const serving::CpuModel& m = service_->model(model);
    const engine::Tokenizer& tok = *m.loaded.tokenizer;
    const int ctx = m.loaded.model.config.seq_len;
    serving::ServingRequest r;
    if (p.prompt_is_tokens) {
      for (int32_t t : p.prompt_tokens) {
        if (t >= tok.vocab_size()) {
          return BadRequest(fmt::format("token id {} is outside {}'s vocabulary (0 to {})", t,
                                        p.model, tok.vocab_size() - 1),
                            "prompt");
        }
      }
      r.prompt = p.prompt_tokens;
    } else {
      const std::string text =
          p.chat ? RenderChat(service_->chat_format(model), p.messages) : p.prompt_text;
      for (int t : tok.Encode(text, tok.add_bos())) r.prompt.push_back(t);
    }
    const int n = static_cast<int>(r.prompt.size());
    if (n == 0) return BadRequest("the prompt is empty", p.chat ? "messages" : "prompt");
    if (n >= ctx) {
      ApiError e = BadRequest(fmt::format("this model's maximum context length is {} tokens; the "
                                          "prompt has {}: shorten it",
                                          ctx, n),
                              p.chat ? "messages" : "prompt");
      e.code = "context_length_exceeded";
      return e;
    }
    const int max_tokens = p.max_tokens.value_or(p.chat ? ctx - n : 16);
    if (n + max_tokens > ctx) {
      ApiError e = BadRequest(
          fmt::format("this model's maximum context length is {} tokens; you asked for {} ({} in "
                      "the prompt, {} in the completion): lower max_tokens or shorten the prompt",
                      ctx, n + max_tokens, n, max_tokens),
          "max_tokens");
      e.code = "context_length_exceeded";
      return e;
    }
    r.model = model;
    r.prompt_tokens = n;
    r.max_output_tokens = max_tokens;
    r.temperature = p.temperature;
    r.top_p = p.top_p;
    r.top_k = p.top_k;
    r.seed = p.seed.value_or(seed_base_ + next_seed_++);
    r.ignore_eos = p.ignore_eos;
    return r;
  }

  awaitable<bool> Generate(beast::tcp_stream& stream, const Request& req, bool chat) {
    const bool keep = req.keep_alive();
    auto parsed = ParseGenerationRequest(req.body(), chat);
    if (auto* e = std::get_if<ApiError>(&parsed)) {
      service_->CountRejected("", e->status);
      co_return co_await SendError(stream, *e, keep);
    }
    GenerationParams p = std::move(std::get<GenerationParams>(parsed));
    const int model = service_->FindModel(p.model);
    if (model < 0) {
      service_->CountRejected(p.model, 404);
      co_return co_await SendError(stream, UnknownModel(p.model), keep);
    }
    auto built = BuildRequest(p, model);
    if (auto* e = std::get_if<ApiError>(&built)) {
      service_->CountRejected(p.model, e->status);
      co_return co_await SendError(stream, *e, keep);
    }
    auto gen =
        std::make_shared<Generation>(model, std::move(std::get<serving::ServingRequest>(built)));
    const int32_t last_prompt_token = gen->request().prompt.back();
    const int prompt_tokens = gen->request().prompt_tokens;

    // Wake-ups from the scheduler threads are posted to this (single) I/O thread. One may run
    // while this coroutine is suspended in a write rather than on the timer, so it also leaves
    // `pending` set, which the coroutine checks before waiting: none is lost.
    // `posted` coalesces wake-ups: while one is queued, further tokens need no other post (the
    // coroutine reads all progress when it runs), which keeps the scheduler's lock short.
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
    auto wake = std::make_shared<Wake>(io_);
    gen->SetWaker([this, wake] {
      if (wake->posted.exchange(true)) return;
      net::post(io_, [wake] {
        wake->posted = false;
        wake->Fire();
      });
    });
    if (auto e = service_->Submit(gen)) co_return co_await SendError(stream, *e, keep);

    // A client that closes its connection cancels the request, streamed or not.
    auto gone = std::make_shared<bool>(false);
    stream.socket().async_wait(tcp::socket::wait_read,
                               [gen, wake, gone, &stream](const beast::error_code& ec) {
                                 if (ec == net::error::operation_aborted) return;
                                 beast::error_code e2;
                                 if (ec || stream.socket().available(e2) == 0) {
                                   *gone = true;
                                   gen->Cancel();
                                   wake->Fire();
                                 }
                               });

    const std::string id =
        fmt::format("{}-{:x}", chat ? "chatcmpl" : "cmpl", gen->request().id ^ seed_base_);
    const int64_t created = UnixNow();
    const engine::Tokenizer& tok = *service_->model(model).loaded.tokenizer;
    engine::Utf8Stream utf8;
    std::string held;    // decoded text not yet sent (it may begin a stop string)
    std::string events;  // SSE events to write
    std::string text;    // everything sent (non-streamed: the response)
    std::string finish_reason;
    ApiError failure;
    size_t tokens = 0;
    int32_t prev = last_prompt_token;
    bool header_sent = false, first_chunk = true, write_failed = false;
    http::response<http::empty_body> header{http::status::ok, 11};
    header.set(http::field::server, "aegaeon");
    header.set(http::field::content_type, "text/event-stream");
    header.set(http::field::cache_control, "no-cache");
    header.keep_alive(keep);
    header.chunked(true);
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
        co_await net::async_write(stream, http::make_chunk(net::buffer(data)),
                                  net::redirect_error(use_awaitable, ec));
      }
      if (ec) {
        write_failed = true;
        gen->Cancel();
      }
    };

    for (;;) {
      wake->pending = false;  // whatever fires from here on is seen before the next wait
      const Generation::Progress pr = gen->Read(tokens);
      // One event per token (as it would leave a GPU step), each checked for stop strings.
      for (size_t k = 0; k <= pr.tokens.size() && finish_reason.empty(); ++k) {
        const bool last = k == pr.tokens.size();
        if (last && !pr.finished) break;
        if (!last) {
          held += utf8.Push(tok.DecodePiece(prev, pr.tokens[k]));
          prev = pr.tokens[k];
          ++tokens;
        } else {
          held += utf8.Flush();
        }
        std::string out;
        if (const size_t at = FindStop(held, p.stop); at != std::string::npos) {
          out = held.substr(0, at);
          held.clear();
          finish_reason = "stop";
          gen->Stop();  // frees its KV at the next step; the client has its answer
        } else {
          const size_t keep_back = last ? 0 : StopPrefixHold(held, p.stop);
          out = held.substr(0, held.size() - keep_back);
          held.erase(0, held.size() - keep_back);
        }
        if (!out.empty()) {
          text += out;
          if (p.stream) {
            events += StreamChunk(p, id, created, out, "", first_chunk);
            first_chunk = false;
          }
        }
      }
      // The tokens that arrived together leave in one write (still one event each).
      if (!events.empty()) {
        co_await write(events);
        events.clear();
      }
      if (finish_reason.empty() && pr.finished) {
        if (pr.failed) {
          failure.status = 500;
          failure.type = "server_error";
          failure.message = "the generation failed: " + pr.error;
          finish_reason = "error";
        } else {
          finish_reason = pr.stopped ? "stop" : "length";
        }
      }
      if (!finish_reason.empty() || write_failed || *gone) break;
      beast::error_code woken;  // operation_aborted: new progress (or the client left)
      if (!wake->pending) {
        co_await wake->timer.async_wait(net::redirect_error(use_awaitable, woken));
      }
    }
    beast::error_code ignored;
    stream.socket().cancel(ignored);  // the disconnect watcher
    if (write_failed || *gone) co_return false;

    const Usage usage{prompt_tokens, static_cast<int>(tokens)};
    if (!p.stream) {
      if (finish_reason == "error") co_return co_await SendError(stream, failure, keep);
      co_return co_await Send(stream, http::status::ok, "application/json",
                              CompletionResponse(p, id, created, text, finish_reason, usage), keep);
    }
    if (finish_reason == "error") {
      co_await write(StreamError(failure));
    } else {
      co_await write(StreamChunk(p, id, created, "", finish_reason, first_chunk));
    }
    if (p.include_usage) co_await write(UsageChunk(p, id, created, usage));
    co_await write(std::string(kStreamDone));
    if (write_failed) co_return false;
    beast::error_code ec;
    co_await net::async_write(stream, http::make_chunk_last(),
                              net::redirect_error(use_awaitable, ec));
    co_return !ec;
  }

  ModelService* service_;
  ServerOptions options_;
  net::io_context io_{1};
  tcp::acceptor acceptor_;
  net::signal_set signals_;
  int active_ = 0;  // generations in progress (I/O thread only)
  uint64_t seed_base_ = 0;
  mutable uint64_t next_seed_ = 0;  // default seeds differ per request
};

}  // namespace

Status RunHttpServer(ModelService* service, const ServerOptions& options) {
  Server server(service, options);
  return server.Run();
}

}  // namespace llms::server
