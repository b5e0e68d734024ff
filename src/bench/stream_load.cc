// StreamLoad: concurrent SSE streams on one io_context, each classified by how it ended.
#include "bench/stream_load.h"

#include <fmt/format.h>

#include <boost/beast/http.hpp>
#include <chrono>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>

namespace llms::bench {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;
using Clock = std::chrono::steady_clock;

namespace {

awaitable<StreamOutcome> RunOne(const StreamLoadOptions& o, const StreamSpec& spec,
                                const std::vector<tcp::endpoint>& endpoints, Clock::time_point t0) {
  StreamOutcome out;
  auto executor = co_await net::this_coro::executor;
  beast::error_code ec;
  if (spec.start_s > 0) {
    net::steady_timer t(executor);
    t.expires_at(t0 + std::chrono::microseconds(static_cast<int64_t>(spec.start_s * 1e6)));
    co_await t.async_wait(net::redirect_error(use_awaitable, ec));
  }
  beast::tcp_stream stream(executor);
  stream.expires_after(std::chrono::microseconds(static_cast<int64_t>(o.timeout_s * 1e6)));
  co_await stream.async_connect(endpoints, net::redirect_error(use_awaitable, ec));
  if (ec) {
    out.error = "cannot connect: " + ec.message();
    co_return out;
  }
  http::request<http::string_body> req{http::verb::post, o.endpoint.base_path + spec.path, 11};
  req.set(http::field::host, o.endpoint.host + ":" + o.endpoint.port);
  req.set(http::field::content_type, "application/json");
  if (!o.api_key.empty()) req.set(http::field::authorization, "Bearer " + o.api_key);
  req.body() = spec.body;
  req.prepare_payload();
  co_await http::async_write(stream, req, net::redirect_error(use_awaitable, ec));
  if (ec) {
    out.error = "cannot send: " + ec.message();
    co_return out;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  co_await http::async_read_header(stream, buffer, parser, net::redirect_error(use_awaitable, ec));
  if (ec) {
    out.error = "no response: " + ec.message();
    co_return out;
  }
  out.status = static_cast<int>(parser.get().result_int());
  std::string pending;  // SSE bytes not yet split into events
  bool done = false, error_event = false;
  char data[16384];
  while (!parser.is_done()) {
    parser.get().body().data = data;
    parser.get().body().size = sizeof data;
    co_await http::async_read_some(stream, buffer, parser, net::redirect_error(use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    const size_t got = sizeof data - parser.get().body().size;
    pending.append(data, got);
    if (out.status == 200) {
      for (size_t end; (end = pending.find("\n\n")) != std::string::npos;) {
        const std::string event = pending.substr(0, end);
        pending.erase(0, end + 2);
        if (event == "data: [DONE]") {
          done = true;
        } else if (event.rfind("data: {\"error\"", 0) == 0) {
          error_event = true;
          out.error = event.substr(6);
        } else {
          out.event_s.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
        }
      }
      if (spec.disconnect_after >= 0 &&
          static_cast<int>(out.event_s.size()) >= spec.disconnect_after) {
        stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream.socket().close(ec);
        out.kind = StreamOutcome::Kind::kDisconnected;
        co_return out;
      }
    }
    if (ec) break;
  }
  if (out.status == 429 || out.status == 503) {
    out.kind = StreamOutcome::Kind::kRefused;
    out.error = pending;
  } else if (out.status != 200) {
    out.error = fmt::format("HTTP {}: {}", out.status, pending.substr(0, 300));
  } else if (error_event) {
    // kFailed, with the event's text
  } else if (!parser.is_done() || !done) {
    out.error = ec ? "the stream was cut: " + ec.message() : "the stream ended without [DONE]";
  } else {
    out.kind = StreamOutcome::Kind::kCompleted;
  }
  co_return out;
}

}  // namespace

std::vector<StreamOutcome> RunStreamLoad(const StreamLoadOptions& options,
                                         const std::vector<StreamSpec>& specs) {
  std::vector<StreamOutcome> outcomes(specs.size());
  net::io_context io(1);
  beast::error_code ec;
  tcp::resolver resolver(io);
  std::vector<tcp::endpoint> endpoints;
  for (const auto& r : resolver.resolve(options.endpoint.host, options.endpoint.port, ec)) {
    endpoints.push_back(r.endpoint());
  }
  if (ec || endpoints.empty()) {
    for (StreamOutcome& o : outcomes) o.error = "cannot resolve " + options.endpoint.host;
    return outcomes;
  }
  const Clock::time_point t0 = Clock::now();
  for (size_t i = 0; i < specs.size(); ++i) {
    net::co_spawn(
        io,
        [&, i]() -> awaitable<void> {
          outcomes[i] = co_await RunOne(options, specs[i], endpoints, t0);
        },
        net::detached);
  }
  io.run();
  return outcomes;
}

std::string StreamingCompletionBody(const std::string& model, const std::string& prompt,
                                    int max_tokens) {
  return nlohmann::json{{"model", model},
                        {"prompt", prompt},
                        {"max_tokens", max_tokens},
                        {"stream", true},
                        {"ignore_eos", true}}
      .dump();
}

StreamLoadSummary Summarize(const std::vector<StreamOutcome>& outcomes) {
  StreamLoadSummary s;
  for (const StreamOutcome& o : outcomes) {
    switch (o.kind) {
      case StreamOutcome::Kind::kCompleted:
        ++s.completed;
        break;
      case StreamOutcome::Kind::kRefused:
        ++s.refused;
        break;
      case StreamOutcome::Kind::kDisconnected:
        ++s.disconnected;
        break;
      case StreamOutcome::Kind::kFailed:
        ++s.failed;
        if (s.failures.size() < 5) s.failures.push_back(o.error);
        break;
    }
  }
  return s;
}

std::string StreamLoadSummary::ToString() const {
  std::string out = fmt::format("{} completed, {} refused up front, {} disconnected, {} failed",
                                completed, refused, disconnected, failed);
  for (const std::string& f : failures) out += "\n  failure: " + f;
  return out;
}

}  // namespace llms::bench
