// The benchmark's HTTP client against a real loopback server: endpoint parsing, a streamed
// (chunked) body delivered in pieces as they arrive, connection reuse, and error statuses.
#include "bench/http_client.h"

#include <gtest/gtest.h>

#include <boost/beast/http.hpp>
#include <thread>

namespace llms::bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

TEST(HttpClientTest, ParsesEndpoints) {
  auto e = ParseEndpoint("http://127.0.0.1:8080/v1");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, "8080");
  EXPECT_EQ(e->base_path, "");
  e = ParseEndpoint("localhost/proxy/");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->port, "80");
  EXPECT_EQ(e->base_path, "/proxy");
  EXPECT_FALSE(ParseEndpoint("https://x:1").ok());
  EXPECT_FALSE(ParseEndpoint("http://x:abc").ok());
}

// Serves two requests on one connection: a chunked stream in three pieces 30 ms apart, then 404.
void ServeTwo(tcp::acceptor* acceptor) {
  tcp::socket s = acceptor->accept();
  beast::flat_buffer buf;
  http::request<http::string_body> req;
  http::read(s, buf, req);
  http::response<http::empty_body> res{http::status::ok, 11};
  res.chunked(true);
  http::response_serializer<http::empty_body> sr{res};
  http::write_header(s, sr);
  for (const char* piece : {"data: a\n\n", "data: b\n\n", "data: [DONE]\n\n"}) {
    net::write(s, http::make_chunk(net::buffer(std::string(piece))));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  net::write(s, http::make_chunk_last());
  http::request<http::string_body> req2;
  http::read(s, buf, req2);
  http::response<http::string_body> nf{http::status::not_found, 11};
  nf.set(http::field::retry_after, "3");
  nf.body() = "{\"error\":{}}";
  nf.prepare_payload();
  http::write(s, nf);
}

TEST(HttpClientTest, StreamsPiecesAsTheyArriveAndReusesTheConnection) {
  net::io_context server_io;
  tcp::acceptor acceptor(server_io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  const std::string port = std::to_string(acceptor.local_endpoint().port());
  std::thread server([&] { ServeTwo(&acceptor); });

  net::io_context io;
  HttpClient client(io, *ParseEndpoint("http://127.0.0.1:" + port), "key");
  std::vector<std::pair<std::string, HttpClient::Clock::time_point>> pieces;
  HttpResult first, second;
  bool sent = false;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        first = co_await client.Post(
            "/v1/completions", "{}",
            [&](std::string_view d, HttpClient::Clock::time_point t) { pieces.emplace_back(d, t); },
            [&](HttpClient::Clock::time_point) { sent = true; });
        second = co_await client.Get("/v1/models");
      },
      net::detached);
  io.run();
  server.join();
  EXPECT_TRUE(sent);
  EXPECT_EQ(first.status, 200);
  EXPECT_TRUE(first.error.empty()) << first.error;
  std::string all;
  for (const auto& [d, t] : pieces) all += d;
  EXPECT_EQ(all, "data: a\n\ndata: b\n\ndata: [DONE]\n\n");
  ASSERT_GE(pieces.size(), 3u);  // each chunk came on its own, tens of ms apart
  EXPECT_GE(pieces.back().second - pieces.front().second, std::chrono::milliseconds(40));
  EXPECT_EQ(second.status, 404) << second.error;
  EXPECT_EQ(second.retry_after, "3");
  EXPECT_EQ(second.body, "{\"error\":{}}");
  EXPECT_EQ(client.connections_opened(), 1);
}

// A server that closes every connection that stays idle (as a header or keep-alive timeout
// does) and answers each request on a connection that is still open with 200 "ok".
void CloseIdleThenServe(tcp::acceptor* acceptor, int idle, int served) {
  for (int i = 0; i < idle; ++i) acceptor->accept().close();
  for (int i = 0; i < served; ++i) {
    tcp::socket s = acceptor->accept();
    beast::flat_buffer buf;
    http::request<http::string_body> req;
    http::read(s, buf, req);
    http::response<http::string_body> res{http::status::ok, 11};
    res.body() = "ok";
    res.keep_alive(false);
    res.prepare_payload();
    http::write(s, res);
  }
}

TEST(HttpClientTest, PooledConnectionsTheServerClosedAreNotUsed) {
  net::io_context server_io;
  tcp::acceptor acceptor(server_io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  const std::string port = std::to_string(acceptor.local_endpoint().port());
  constexpr int kIdle = 6, kRequests = 3;
  std::thread server([&] { CloseIdleThenServe(&acceptor, kIdle, kRequests); });

  net::io_context io;
  HttpClient client(io, *ParseEndpoint("http://127.0.0.1:" + port), "");
  // Spare connections opened ahead of need, all of which the server then closes.
  for (int i = 0; i < kIdle; ++i) ASSERT_TRUE(client.Prewarm(kIdle));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::vector<HttpResult> results;
  for (int i = 0; i < kRequests; ++i) {
    client.PostFromThread("/v1/completions", "{}", nullptr, nullptr,
                          [&](HttpResult r) { results.push_back(std::move(r)); });
  }
  io.run();
  server.join();
  ASSERT_EQ(results.size(), static_cast<size_t>(kRequests));
  for (const HttpResult& r : results) {
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, "ok");
  }
  EXPECT_EQ(client.connections_opened(), kIdle + kRequests);
}

}  // namespace
}  // namespace llms::bench
