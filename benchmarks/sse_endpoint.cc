// A fast OpenAI-compatible endpoint for measuring the benchmark client itself: it answers
// GET /v1/models with one model ("dummy") and every POST with a stream of `max_tokens` (from the
// body) one-token SSE events paced `--interval-ms` apart, then usage and [DONE]; no model work,
// so what bench_client.sh measures (send lag, concurrent streams) is the client's own precision.
//
// Usage: sse_endpoint --port-file FILE [--interval-ms 250]
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <utility>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;

namespace {

int interval_ms = 250;

int MaxTokens(const std::string& body) {
  const size_t p = body.find("\"max_tokens\":");
  return p == std::string::npos ? 16 : std::max(1, std::atoi(body.c_str() + p + 13));
}

awaitable<void> Session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  net::steady_timer timer(stream.get_executor());
  for (;;) {
    http::request<http::string_body> req;
    beast::error_code ec;
    co_await http::async_read(stream, buffer, req, net::redirect_error(use_awaitable, ec));
    if (ec) break;
    if (req.method() == http::verb::get) {
      http::response<http::string_body> res{http::status::ok, 11};
      res.set(http::field::content_type, "application/json");
      res.body() =
          R"({"object":"list","data":[{"id":"dummy","object":"model","max_model_len":100000}]})";
      res.prepare_payload();
      co_await http::async_write(stream, res, net::redirect_error(use_awaitable, ec));
      if (ec) break;
      continue;
    }
    const int n = MaxTokens(req.body());
    http::response<http::empty_body> res{http::status::ok, 11};
    res.set(http::field::content_type, "text/event-stream");
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    co_await http::async_write_header(stream, sr, net::redirect_error(use_awaitable, ec));
    for (int i = 0; i < n && !ec; ++i) {
      timer.expires_after(std::chrono::milliseconds(interval_ms));
      co_await timer.async_wait(use_awaitable);
      const std::string ev =
          R"(data: {"object":"text_completion","choices":[{"index":0,"text":" x","finish_reason":null}]})"
          "\n\n";
      co_await net::async_write(stream, http::make_chunk(net::buffer(ev)),
                                net::redirect_error(use_awaitable, ec));
    }
    const std::string tail = fmt::format(
        "data: {{\"choices\":[],\"usage\":{{\"prompt_tokens\":1,\"completion_tokens\":{}}}}}\n\n"
        "data: [DONE]\n\n",
        n);
    if (!ec) {
      co_await net::async_write(stream, http::make_chunk(net::buffer(tail)),
                                net::redirect_error(use_awaitable, ec));
    }
    if (!ec) {
      co_await net::async_write(stream, http::make_chunk_last(),
                                net::redirect_error(use_awaitable, ec));
    }
    if (ec) break;
  }
}

awaitable<void> Accept(tcp::acceptor& acceptor) {
  for (;;) {
    beast::error_code ec;
    tcp::socket s = co_await acceptor.async_accept(net::redirect_error(use_awaitable, ec));
    if (!ec) net::co_spawn(acceptor.get_executor(), Session(std::move(s)), net::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"a fast fake OpenAI streaming endpoint"};
  std::string port_file;
  app.add_option("--port-file", port_file, "where to write the port")->required();
  app.add_option("--interval-ms", interval_ms, "time between events (default 250)");
  CLI11_PARSE(app, argc, argv);
  net::io_context io{1};
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  acceptor.listen(4096);
  std::ofstream(port_file) << acceptor.local_endpoint().port() << "\n";
  net::co_spawn(io, Accept(acceptor), net::detached);
  io.run();
}
