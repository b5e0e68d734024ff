// A small synchronous HTTP/1.1 client for the end-to-end tests (Boost.Beast): one request per
// connection, or a streamed response read piece by piece so a test can act mid-stream (read the
// first SSE event, then disconnect; send SIGTERM; send a second request).
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <map>
#include <memory>
#include <string>

namespace llms::testing {

struct HttpReply {
  int status = 0;  // 0: no connection or no response
  std::map<std::string, std::string> headers;
  std::string body;
};

// 127.0.0.1:`port` as an Asio TCP endpoint.
inline boost::asio::ip::tcp::endpoint LoopbackEndpoint(int port) {
  return {boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)};
}

inline HttpReply HttpCall(int port, const std::string& method, const std::string& target,
                          const std::string& body = "", const std::string& api_key = "",
                          const std::string& content_type = "application/json") {
  namespace net = boost::asio;
  namespace http = boost::beast::http;
  HttpReply reply;
  try {
    net::io_context io;
    boost::beast::tcp_stream stream(io);
    stream.connect(LoopbackEndpoint(port));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!api_key.empty()) req.set(http::field::authorization, "Bearer " + api_key);
    if (!body.empty()) req.set(http::field::content_type, content_type);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    boost::beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    http::read(stream, buf, parser);
    reply.status = static_cast<int>(parser.get().result_int());
    for (const auto& f : parser.get()) {
      reply.headers[std::string(f.name_string())] = std::string(f.value());
    }
    reply.body = parser.get().body();
  } catch (const std::exception&) {
  }
  return reply;
}

// A streamed POST: Open() sends the request and reads the header; Next() returns the next piece
// of body ("" at the end); Close() drops the connection mid-stream.
class HttpStream {
 public:
  bool Open(int port, const std::string& target, const std::string& body,
            const std::string& api_key = "") {
    namespace http = boost::beast::http;
    try {
      stream_.connect(LoopbackEndpoint(port));
      http::request<http::string_body> req{http::verb::post, target, 11};
      req.set(http::field::host, "127.0.0.1");
      req.set(http::field::content_type, "application/json");
      if (!api_key.empty()) req.set(http::field::authorization, "Bearer " + api_key);
      req.body() = body;
      req.prepare_payload();
      http::write(stream_, req);
      parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
      http::read_header(stream_, buf_, parser_);
      status = static_cast<int>(parser_.get().result_int());
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }
  std::string Next() {
    namespace http = boost::beast::http;
    char data[8192];
    while (!parser_.is_done()) {
      parser_.get().body().data = data;
      parser_.get().body().size = sizeof data;
      boost::beast::error_code ec;
      http::read_some(stream_, buf_, parser_, ec);
      if (ec == http::error::need_buffer) ec = {};
      const size_t got = sizeof data - parser_.get().body().size;
      if (got > 0) return std::string(data, got);
      if (ec) break;
    }
    return "";
  }
  std::string ReadAll() {
    std::string all, piece;
    while (!(piece = Next()).empty()) all += piece;
    return all;
  }
  void Close() {
    boost::beast::error_code ec;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }
  int status = 0;

 private:
  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_{io_};
  boost::beast::flat_buffer buf_;
  boost::beast::http::response_parser<boost::beast::http::buffer_body> parser_;
};

}  // namespace llms::testing
