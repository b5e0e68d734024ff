// The loopback DNS client (see dns_client.h), on POSIX sockets with poll() timeouts.
#include "iceberg/dns_client.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "dns/wire.h"

namespace llms::iceberg {
namespace {

class Socket {
 public:
  explicit Socket(int type) : fd_(::socket(AF_INET, type, 0)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

sockaddr_in Address(const std::string& host, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  return a;
}

// Waits until `fd` is readable (or writable); false on timeout.
bool Wait(int fd, short events, double timeout_s) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, static_cast<int>(timeout_s * 1000)) > 0;
}

Result<std::vector<uint8_t>> Udp(const std::string& host, uint16_t port,
                                 const std::vector<uint8_t>& query, double timeout_s) {
  Socket s(SOCK_DGRAM);
  const sockaddr_in to = Address(host, port);
  if (::sendto(s.fd(), query.data(), query.size(), 0, reinterpret_cast<const sockaddr*>(&to),
               sizeof to) < 0) {
    return Status::Error(fmt::format("UDP send to {}:{}: {}", host, port, std::strerror(errno)));
  }
  std::vector<uint8_t> buf(65535);
  while (Wait(s.fd(), POLLIN, timeout_s)) {
    const ssize_t n = ::recv(s.fd(), buf.data(), buf.size(), 0);
    if (n < 0) {
      return Status::Error(fmt::format("UDP from {}:{}: {}", host, port, std::strerror(errno)));
    }
    // Only an answer to this query (the ID matches) counts.
    if (n >= 2 && buf[0] == query[0] && buf[1] == query[1]) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
  }
  return Status::Error(fmt::format("no UDP answer from {}:{} within {} s", host, port, timeout_s));
}

bool ReadAll(int fd, uint8_t* data, size_t size, double timeout_s) {
  size_t got = 0;
  while (got < size) {
    if (!Wait(fd, POLLIN, timeout_s)) return false;
    const ssize_t n = ::recv(fd, data + got, size - got, 0);
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

Result<std::vector<uint8_t>> Tcp(const std::string& host, uint16_t port,
                                 const std::vector<uint8_t>& query, double timeout_s) {
  Socket s(SOCK_STREAM);
  const sockaddr_in to = Address(host, port);
  if (::connect(s.fd(), reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0) {
    return Status::Error(fmt::format("TCP connect to {}:{}: {}", host, port, std::strerror(errno)));
  }
  std::vector<uint8_t> framed{static_cast<uint8_t>(query.size() >> 8),
                              static_cast<uint8_t>(query.size() & 0xff)};
  framed.insert(framed.end(), query.begin(), query.end());
  if (::send(s.fd(), framed.data(), framed.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(framed.size())) {
    return Status::Error(fmt::format("TCP send to {}:{}: {}", host, port, std::strerror(errno)));
  }
  uint8_t len[2];
  if (!ReadAll(s.fd(), len, 2, timeout_s)) {
    return Status::Error(
        fmt::format("no TCP answer from {}:{} within {} s", host, port, timeout_s));
  }
  std::vector<uint8_t> buf(static_cast<size_t>(len[0] << 8 | len[1]));
  if (!ReadAll(s.fd(), buf.data(), buf.size(), timeout_s)) {
    return Status::Error(fmt::format("TCP answer from {}:{} ends early", host, port));
  }
  return buf;
}

}  // namespace

Result<dns::Message> QueryServer(const std::string& host, uint16_t port,
                                 const dns::Question& question, const ClientOptions& options) {
  static thread_local std::mt19937 rng(std::random_device{}());
  const auto id = static_cast<uint16_t>(rng());
  const std::vector<uint8_t> query = dns::EncodeQuery(id, question.name, question.type);
  Result<std::vector<uint8_t>> bytes = Status::Error("no attempt");
  for (int i = 0; i < options.udp_attempts; ++i) {
    bytes = Udp(host, port, query, options.timeout_s);
    if (bytes.ok()) break;
  }
  if (!bytes.ok()) return bytes.status();
  auto m = dns::DecodeMessage(*bytes);
  if (!m.ok()) return Status::Error("the UDP answer does not decode: " + m.message());
  if (m->tc) {
    bytes = Tcp(host, port, query, options.timeout_s);
    if (!bytes.ok()) return bytes.status();
    m = dns::DecodeMessage(*bytes);
    if (!m.ok()) return Status::Error("the TCP answer does not decode: " + m.message());
  }
  if (m->id != id || !m->qr) return Status::Error("the answer is not a response to the query");
  return m;
}

bool LoopbackPortIsFree(uint16_t port) {
  Socket t(SOCK_STREAM), u(SOCK_DGRAM);
  const sockaddr_in a = Address("127.0.0.1", port);
  return ::bind(t.fd(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0 &&
         ::bind(u.fd(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
}

Result<uint16_t> FreeLoopbackPort() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    Socket t(SOCK_STREAM);
    sockaddr_in a = Address("127.0.0.1", 0);
    socklen_t len = sizeof a;
    if (::bind(t.fd(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 ||
        ::getsockname(t.fd(), reinterpret_cast<sockaddr*>(&a), &len) < 0) {
      continue;
    }
    const uint16_t port = ntohs(a.sin_port);
    Socket u(SOCK_DGRAM);
    const sockaddr_in b = Address("127.0.0.1", port);
    if (::bind(u.fd(), reinterpret_cast<const sockaddr*>(&b), sizeof b) == 0) return port;
  }
  return Status::Error("no free port on 127.0.0.1");
}

}  // namespace llms::iceberg
