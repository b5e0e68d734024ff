// The proxy: one thread per client connection with blocking Beast I/O, a watchdog that cuts
// connections whose deadline passed or whose node left the cluster, forwarding with re-routing
// before a node answered, and relaying after.
#include "cluster/proxy.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "bench/http_client.h"
#include "server/openai_protocol.h"
#include "server/prometheus.h"
#include "serving/router.h"

namespace llms::cluster {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Cuts (shutdown(2)) registered sockets whose deadline passed or whose node left the cluster, so
// a blocking read on them returns: the one way to bound blocking I/O from outside.
class Watchdog {
 public:
  explicit Watchdog(ClusterView* view) : view_(view), thread_([this] { Loop(); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  // Watch `fd` until Disarm: cut it at `deadline`, or once `node` (when not empty) has left the
  // membership (its lease expired).
  void Arm(int fd, Clock::time_point deadline, const std::string& node = "") {
    std::lock_guard<std::mutex> lock(mu_);
    watched_[fd] = {deadline, node};
  }
  void Disarm(int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    watched_.erase(fd);
  }
  // Cuts every watched socket now (the drain timeout passed).
  void CutAll() {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [fd, entry] : watched_) ::shutdown(fd, SHUT_RDWR);
    watched_.clear();
  }

 private:
  struct Entry {
    Clock::time_point deadline;
    std::string node;
  };
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      wake_.wait_for(lock, std::chrono::milliseconds(50), [this] { return stop_; });
      const auto now = Clock::now();
      for (auto it = watched_.begin(); it != watched_.end();) {
        const bool lost = !it->second.node.empty() && !view_->Listed(it->second.node);
        if (now >= it->second.deadline || lost) {
          ::shutdown(it->first, SHUT_RDWR);
          it = watched_.erase(it);
        } else {
          ++it;
        }
      }
    }
  }
  ClusterView* view_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::map<int, Entry> watched_;
  std::thread thread_;
};

// Writes the requests' records (PREFIX:request:ID, a hash kept an hour) to Redis from its own
// thread, so no request waits on Redis; records written while Redis is away are dropped.
class Recorder {
 public:
  explicit Recorder(const ClusterOptions& o)
      : prefix_(o.prefix), redis_(o.redis, 0.5), thread_([this] { Loop(); }) {}
  ~Recorder() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  void Put(const std::string& id, std::vector<std::string> fields) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back({id, std::move(fields)});
    wake_.notify_all();
  }
  RedisClient& redis() { return redis_; }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty() && stop_) return;
      std::vector<std::pair<std::string, std::vector<std::string>>> batch;
      batch.swap(queue_);
      lock.unlock();
      for (auto& [id, fields] : batch) {
        const std::string key = prefix_ + ":request:" + id;
        std::vector<std::string> args = {"HSET", key};
        args.insert(args.end(), fields.begin(), fields.end());
        if (redis_.Command(args).ok()) (void)redis_.Command({"EXPIRE", key, "3600"});
      }
      lock.lock();
    }
  }
  std::string prefix_;
  RedisClient redis_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::vector<std::pair<std::string, std::vector<std::string>>> queue_;
  std::thread thread_;
};

constexpr auto kForever = Clock::time_point::max();

Clock::time_point In(double seconds) {
  return Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

}  // namespace

struct Proxy::Impl {
  ProxyOptions options;
  ClusterView* view;
  net::io_context io;
  tcp::acceptor acceptor{io};
  Watchdog watchdog;
  Recorder recorder;
  int64_t proxy_number = 0;
  std::atomic<uint64_t> turn{0}, local_ids{0};
  std::atomic<int64_t> open_connections{0}, reroutes{0}, active_requests{0};
  std::atomic<bool> stopping{false};
  std::mutex mu;  // guards the maps below and `idle`
  std::condition_variable idle;
  std::map<std::pair<std::string, std::string>, int64_t> routed;  // (node, model) -> requests
  std::map<std::string, int64_t> failed;                          // reason -> requests
  std::set<int> clients;                                          // open client sockets
  // This proxy's own requests at each (node, model) now: fresher than the nodes' last beats, so
  // a burst does not all go where the last beat said the queue was short.
  std::map<std::pair<std::string, std::string>, int64_t> inflight;

  // The view's nodes with this proxy's own requests since their last beat accounted for.
  std::vector<NodeInfo> RoutingNodes() {
    std::vector<NodeInfo> nodes = view->Nodes();
    std::lock_guard<std::mutex> lock(mu);
    for (NodeInfo& n : nodes) {
      for (ModelLoad& m : n.models) {
        const auto it = inflight.find({n.name, m.name});
        if (it == inflight.end() || it->second == 0) continue;
        m.waiting = std::max(m.waiting + m.running, it->second) - m.running;
        m.resident = true;  // it will be by the time these run
      }
    }
    return nodes;
  }
  // Counts a request at (node, model) while it lives.
  struct InFlight {
    Impl* p;
    std::pair<std::string, std::string> key;
    InFlight(Impl* impl, std::pair<std::string, std::string> k) : p(impl), key(std::move(k)) {
      std::lock_guard<std::mutex> lock(p->mu);
      ++p->inflight[key];
    }
    ~InFlight() {
      std::lock_guard<std::mutex> lock(p->mu);
      if (--p->inflight[key] == 0) p->inflight.erase(key);
    }
  };
  server::Histogram first_byte{server::LatencyBuckets()};

  Impl(ProxyOptions o, ClusterView* v)
      : options(std::move(o)), view(v), watchdog(v), recorder(v->options()) {}

  void Count(std::map<std::string, int64_t>& m, const std::string& key) {
    std::lock_guard<std::mutex> lock(mu);
    ++m[key];
  }

  // ---- responses -------------------------------------------------------------------------

  static void Send(tcp::socket& s, http::status status, const std::string& type, std::string body,
                   unsigned version, bool keep, beast::error_code& ec,
                   const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    http::response<http::string_body> res{status, version};
    res.set(http::field::server, "aegaeon-proxy");
    res.set(http::field::content_type, type);
    for (const auto& [k, v] : headers) res.set(k, v);
    res.keep_alive(keep);
    res.body() = std::move(body);
    res.prepare_payload();
    http::write(s, res, ec);
  }

  static void SendError(tcp::socket& s, const server::ApiError& e, unsigned version, bool keep,
                        beast::error_code& ec) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (e.status == 429 || e.status == 503) headers.emplace_back("Retry-After", "1");
    if (e.status == 401) headers.emplace_back("WWW-Authenticate", "Bearer");
    Send(s, static_cast<http::status>(e.status), "application/json", server::ErrorBody(e), version,
         keep, ec, headers);
  }

  static server::ApiError Error(int status, std::string message, std::string type,
                                std::string code = "") {
    server::ApiError e;
    e.status = status;
    e.message = std::move(message);
    e.type = std::move(type);
    e.code = std::move(code);
    return e;
  }

  // ---- the cluster's state ---------------------------------------------------------------

  std::string ModelsBody(const std::string& only = "") const {
    std::map<std::string, int> models;  // id -> the largest max_model_len among its nodes
    for (const NodeInfo& n : view->Nodes()) {
      if (n.draining) continue;
      for (const ModelLoad& m : n.models)
        models[m.name] = std::max(models[m.name], m.max_model_len);
    }
    std::vector<server::ModelCard> cards;
    for (const auto& [id, len] : models) {
      if (only.empty() || id == only) cards.push_back({id, 0, len});
    }
    if (!only.empty()) return cards.empty() ? "" : server::ModelObject(cards.front());
    return server::ModelList(cards);
  }

  std::string MetricsText() {
    server::PromWriter w;
    const std::vector<NodeInfo> nodes = view->Nodes();
    w.Family("aegaeon_proxy_nodes", "gauge", "Live nodes in this proxy's view.");
    w.Sample("aegaeon_proxy_nodes", {}, static_cast<double>(nodes.size()));
    w.Family("aegaeon_proxy_redis_reachable", "gauge", "1 while the last membership read worked.");
    w.Sample("aegaeon_proxy_redis_reachable", {}, view->redis_reachable() ? 1 : 0);
    w.Family("aegaeon_proxy_requests_total", "counter",
             "Requests a node answered, by node and model.");
    w.Family("aegaeon_proxy_failed_total", "counter",
             "Requests that ended in an error from the proxy, by reason.");
    {
      std::lock_guard<std::mutex> lock(mu);
      for (const auto& [key, n] : routed) {
        w.Sample("aegaeon_proxy_requests_total", {{"node", key.first}, {"model", key.second}},
                 static_cast<double>(n));
      }
      for (const auto& [reason, n] : failed) {
        w.Sample("aegaeon_proxy_failed_total", {{"reason", reason}}, static_cast<double>(n));
      }
    }
    w.Family("aegaeon_proxy_reroutes_total", "counter",
             "Requests sent to another node because one failed before answering.");
    w.Sample("aegaeon_proxy_reroutes_total", {}, static_cast<double>(reroutes.load()));
    w.Family("aegaeon_proxy_node_losses_total", "counter",
             "Nodes dropped from the view: leases expired or failures seen.");
    w.Sample("aegaeon_proxy_node_losses_total", {}, static_cast<double>(view->losses()));
    w.Family("aegaeon_proxy_active_requests", "gauge", "Requests being forwarded now.");
    w.Sample("aegaeon_proxy_active_requests", {}, static_cast<double>(active_requests.load()));
    w.Family("aegaeon_proxy_upstream_first_byte_seconds", "histogram",
             "From sending a request to a node to its response header.");
    first_byte.Write(&w, "aegaeon_proxy_upstream_first_byte_seconds", {});
    return w.text();
  }

  // A request's cluster-wide id: this proxy's number (from Redis at start) and its own count.
  struct RequestId {
    std::string id;
  };
  RequestId NewRequest(const std::string& model) {
    RequestId r{fmt::format("req-{}-{}", proxy_number, ++local_ids)};
    recorder.Put(r.id, {"model", model, "proxy", options.name, "state", "received"});
    return r;
  }
  void RecordState(const RequestId& r, const std::string& state, const std::string& node) {
    recorder.Put(r.id, {"state", state, "node", node});
  }

  // ---- forwarding ------------------------------------------------------------------------

  // Forwards one completion; false when the client connection must close.
  bool Forward(tcp::socket& client, const http::request<http::string_body>& req) {
    const unsigned version = req.version();
    const bool keep = req.keep_alive();
    beast::error_code ec;
    const nlohmann::json body = nlohmann::json::parse(req.body(), nullptr, false);
    if (!body.is_object()) {
      SendError(client, server::BadRequest("the request body is not a JSON object"), version, keep,
                ec);
      return !ec && keep;
    }
    if (!body.contains("model") || !body["model"].is_string()) {
      SendError(client, server::BadRequest("'model' is required: the model to use", "model"),
                version, keep, ec);
      return !ec && keep;
    }
    const std::string model = body["model"].get<std::string>();
    const bool stream = body.value("stream", false);
    const RequestId id = NewRequest(model);
    std::set<std::string> tried;
    bool served_somewhere = false;
    for (;;) {
      const std::vector<NodeInfo> nodes = RoutingNodes();
      for (const NodeInfo& n : nodes) served_somewhere |= n.Find(model) != nullptr;
      const int pick = serving::Router::Route(model, nodes, tried, turn++, options.switch_penalty);
      if (pick < 0) {
        const server::ApiError e =
            served_somewhere
                ? Error(503,
                        fmt::format("every live node serving model '{}' failed to take the "
                                    "request ({} tried); retry later",
                                    model, tried.size()),
                        "service_unavailable", "no_node_available")
                : Error(503, fmt::format("no live node serves model '{}'", model),
                        "service_unavailable", "model_not_available");
        Count(failed, served_somewhere ? "nodes_failed" : "no_node");
        RecordState(id, "failed", "");
        SendError(client, e, version, keep, ec);
        return !ec && keep;
      }
      const NodeInfo node = nodes[static_cast<size_t>(pick)];
      tried.insert(node.name);
      // The last candidate's own refusal (503: draining, full) goes to the client as it is.
      const bool last = serving::Router::Route(model, nodes, tried, 0, options.switch_penalty) < 0;
      const InFlight counted(this, {node.name, model});
      const Outcome o = TryNode(client, req, node, model, id, stream, last);
      if (o == Outcome::kRetry) {
        ++reroutes;
        continue;
      }
      return o == Outcome::kKeepAlive && keep;
    }
  }

  enum class Outcome { kRetry, kKeepAlive, kClose };

  Outcome TryNode(tcp::socket& client, const http::request<http::string_body>& req,
                  const NodeInfo& node, const std::string& model, const RequestId& id, bool stream,
                  bool last) {
    const unsigned version = req.version();
    const bool keep = req.keep_alive();
    // Connect and send under the connect timeout, and while the node stays alive.
    beast::error_code ec;
    tcp::socket up(io);
    // Not reached, or lost before it answered: nothing went to the client, so another node may
    // take the request.
    auto lost = [&](const char* what) {
      view->MarkFailed(node.name, std::string(what) + ": " + ec.message());
      return Outcome::kRetry;
    };
    // Nodes check their URL when they start (aegaeon serve --advertise): one that does not parse
    // here is a record written by something else.
    const auto where = bench::ParseEndpoint(node.url);
    if (!where.ok()) {
      view->MarkFailed(node.name, where.message());
      return Outcome::kRetry;
    }
    {
      tcp::resolver resolver(io);
      auto endpoints = resolver.resolve(where->host, where->port, ec);
      if (ec) return lost("resolve");
      up.open(endpoints.begin()->endpoint().protocol(), ec);
      if (ec) return lost("socket");
      watchdog.Arm(up.native_handle(), In(options.connect_timeout_s), node.name);
      up.connect(endpoints.begin()->endpoint(), ec);
      if (ec) {
        watchdog.Disarm(up.native_handle());
        return lost("connect");
      }
    }
    const int up_fd = up.native_handle();
    struct Disarm {
      Watchdog& w;
      int fd;
      ~Disarm() { w.Disarm(fd); }
    } disarm{watchdog, up_fd};
    http::request<http::string_body> fwd{req.method(), where->base_path + std::string(req.target()),
                                         11};
    fwd.set(http::field::host, where->host + ":" + where->port);
    fwd.set(http::field::content_type, "application/json");
    if (auto a = req.find(http::field::authorization); a != req.end()) {
      fwd.set(http::field::authorization, a->value());
    }
    fwd.set("X-Request-Id", id.id);
    fwd.keep_alive(false);
    fwd.body() = req.body();
    fwd.prepare_payload();
    const auto sent = Clock::now();
    http::write(up, fwd, ec);
    if (ec) return lost("sending the request");
    // The node's answer: no deadline while it lives (a queued request may wait), cut if it dies.
    watchdog.Arm(up_fd, kForever, node.name);
    beast::flat_buffer ubuf;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    http::read_header(up, ubuf, parser, ec);
    if (ec) return lost("reading the answer's header");
    first_byte.Observe(std::chrono::duration<double>(Clock::now() - sent).count());
    const unsigned status = parser.get().result_int();
    if (status == 503 && !last) {
      // Draining or full: another node may take it (this one is not marked failed).
      return Outcome::kRetry;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      ++routed[{node.name, model}];
    }
    RecordState(id, "running", node.name);
    const std::string type(parser.get()[http::field::content_type]);
    const bool chunked = parser.get().chunked();
    char buf[16384];
    if (!chunked || !stream) {
      // A whole body: read it all, then answer (a node lost midway gets a clean 502).
      std::string whole;
      while (!parser.is_done()) {
        parser.get().body().data = buf;
        parser.get().body().size = sizeof buf;
        http::read(up, ubuf, parser, ec);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) break;
        whole.append(buf, sizeof buf - parser.get().body().size);
      }
      if (ec) {
        view->MarkFailed(node.name, "lost mid-answer: " + ec.message());
        Count(failed, "node_lost");
        RecordState(id, "failed", node.name);
        SendError(client,
                  Error(502,
                        fmt::format("the node serving this request ({}) was lost before it "
                                    "finished: retry",
                                    node.name),
                        "server_error", "node_lost"),
                  version, keep, ec);
        return Outcome::kClose;
      }
      std::vector<std::pair<std::string, std::string>> headers;
      if (auto r = parser.get().find("Retry-After"); r != parser.get().end()) {
        headers.emplace_back("Retry-After", std::string(r->value()));
      }
      Send(client, static_cast<http::status>(status), type, std::move(whole), version, keep, ec,
           headers);
      RecordState(id, status == 200 ? "completed" : "failed", node.name);
      return ec ? Outcome::kClose : Outcome::kKeepAlive;
    }
    // A stream: relay each piece as it arrives.
    const bool http10 = version == 10;
    http::response<http::empty_body> header{static_cast<http::status>(status), http10 ? 10u : 11u};
    header.set(http::field::server, "aegaeon-proxy");
    header.set(http::field::content_type, type.empty() ? "text/event-stream" : type);
    header.set(http::field::cache_control, "no-cache");
    header.keep_alive(keep && !http10);
    if (!http10) header.chunked(true);
    http::response_serializer<http::empty_body> sr{header};
    http::write_header(client, sr, ec);
    if (ec) return Outcome::kClose;  // the client left: closing `up` cancels it on the node
    auto write = [&](std::string_view data) {
      if (data.empty()) return true;
      if (http10) {
        net::write(client, net::buffer(data), ec);
      } else {
        net::write(client, http::make_chunk(net::buffer(data)), ec);
      }
      return !ec;
    };
    beast::error_code uec;
    while (!parser.is_done()) {
      parser.get().body().data = buf;
      parser.get().body().size = sizeof buf;
      http::read_some(up, ubuf, parser, uec);
      if (uec == http::error::need_buffer) uec = {};
      const size_t n = sizeof buf - parser.get().body().size;
      if (!write(std::string_view(buf, n))) {
        RecordState(id, "cancelled", node.name);
        return Outcome::kClose;
      }
      if (uec) break;
    }
    if (uec) {
      // Lost midway: an explicit error event, then the end of the stream without [DONE].
      view->MarkFailed(node.name, "lost mid-stream: " + uec.message());
      Count(failed, "node_lost");
      RecordState(id, "failed", node.name);
      server::ApiError e = Error(
          502, fmt::format("the node serving this request ({}) was lost mid-stream", node.name),
          "server_error", "node_lost");
      if (write(server::StreamError(e)) && !http10) {
        net::write(client, http::make_chunk_last(), ec);
      }
      return Outcome::kClose;
    }
    if (!http10) net::write(client, http::make_chunk_last(), ec);
    RecordState(id, "completed", node.name);
    return ec || http10 ? Outcome::kClose : Outcome::kKeepAlive;
  }

  // ---- connections -----------------------------------------------------------------------

  void Serve(tcp::socket client) {
    const int fd = client.native_handle();
    client.set_option(tcp::no_delay(true));
    beast::flat_buffer buf;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options.max_body_bytes);
      watchdog.Arm(fd, In(options.header_timeout_s));
      beast::error_code ec;
      http::read(client, buf, parser, ec);
      watchdog.Disarm(fd);
      if (stopping && ec) break;
      if (ec == http::error::body_limit) {
        SendError(
            client,
            Error(413,
                  fmt::format("the request body is larger than {} bytes", options.max_body_bytes),
                  "invalid_request_error"),
            11, false, ec);
        break;
      }
      if (ec) break;  // closed, timed out or malformed
      const http::request<http::string_body> req = parser.release();
      ++active_requests;
      const bool again = Handle(client, req);
      --active_requests;
      if (!again || stopping) break;
    }
    beast::error_code ignored;
    client.shutdown(tcp::socket::shutdown_both, ignored);
  }

  bool Handle(tcp::socket& client, const http::request<http::string_body>& req) {
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    const unsigned version = req.version();
    const bool keep = req.keep_alive() && !stopping;
    beast::error_code ec;
    if (path.starts_with("/v1/") && !options.api_key.empty()) {
      const auto a = req.find(http::field::authorization);
      if (a == req.end() || a->value() != "Bearer " + options.api_key) {
        SendError(client,
                  Error(401, "a valid API key is required (Authorization: Bearer KEY)",
                        "invalid_request_error", "invalid_api_key"),
                  version, keep, ec);
        return !ec && keep;
      }
    }
    if (req.method() == http::verb::get && path == "/health") {
      const nlohmann::json h = {{"status", "ok"},
                                {"nodes", view->Nodes().size()},
                                {"redis", view->redis_reachable() ? "reachable" : "unreachable"}};
      Send(client, http::status::ok, "application/json", h.dump(), version, keep, ec);
    } else if (req.method() == http::verb::get && path == "/metrics") {
      Send(client, http::status::ok, "text/plain; version=0.0.4", MetricsText(), version, keep, ec);
    } else if (req.method() == http::verb::get && path == "/v1/models") {
      Send(client, http::status::ok, "application/json", ModelsBody(), version, keep, ec);
    } else if (req.method() == http::verb::get && path.starts_with("/v1/models/")) {
      const std::string one = ModelsBody(path.substr(11));
      if (one.empty()) {
        SendError(client,
                  Error(404, fmt::format("no live node serves model '{}'", path.substr(11)),
                        "invalid_request_error", "model_not_found"),
                  version, keep, ec);
      } else {
        Send(client, http::status::ok, "application/json", one, version, keep, ec);
      }
    } else if (req.method() == http::verb::post &&
               (path == "/v1/completions" || path == "/v1/chat/completions")) {
      if (stopping) {
        SendError(client, Error(503, "the proxy is shutting down", "service_unavailable"), version,
                  false, ec);
        return false;
      }
      return Forward(client, req);
    } else {
      SendError(client,
                Error(404, fmt::format("no route {} {}", std::string(req.method_string()), path),
                      "invalid_request_error"),
                version, keep, ec);
    }
    return !ec && keep;
  }
};

Proxy::Proxy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Proxy::~Proxy() = default;

Result<std::unique_ptr<Proxy>> Proxy::Start(ProxyOptions options, ClusterView* view) {
  if (options.name.empty()) options.name = fmt::format("proxy-{}", getpid());
  auto impl = std::make_unique<Impl>(std::move(options), view);
  // The proxy's number makes its request ids unique in the cluster without a round trip each.
  auto number = impl->recorder.redis().Command({"INCR", view->options().prefix + ":proxy_seq"});
  if (!number.ok()) return number.status();
  impl->proxy_number = number->integer;
  beast::error_code ec;
  const auto address = net::ip::make_address(impl->options.host, ec);
  if (ec) {
    return Status::Error("--host " + impl->options.host + " is not an IP address");
  }
  const tcp::endpoint endpoint(address, impl->options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Error(fmt::format("cannot listen on {}:{}: {}", impl->options.host,
                                     impl->options.port, ec.message()));
  }
  return std::unique_ptr<Proxy>(new Proxy(std::move(impl)));
}

uint16_t Proxy::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

namespace {
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}
}  // namespace

void BlockStopSignals() {
  const sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

Status Proxy::Run() {
  Impl& p = *impl_;
  // SIGTERM/SIGINT (blocked in every thread): a thread waits for them, stops the accept loop.
  const sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread signals([&p, set] {
    int sig = 0;
    sigwait(&set, &sig);
    p.stopping = true;
    ::shutdown(p.acceptor.native_handle(), SHUT_RDWR);
  });
  if (!p.options.port_file.empty()) {
    std::ofstream f(p.options.port_file + ".tmp");
    f << port() << "\n";
    f.close();
    std::rename((p.options.port_file + ".tmp").c_str(), p.options.port_file.c_str());
  }
  for (;;) {
    beast::error_code ec;
    tcp::socket s(p.io);
    p.acceptor.accept(s, ec);
    if (p.stopping) break;
    if (ec) {
      if (ec == net::error::no_descriptors)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if (p.open_connections >= static_cast<int64_t>(p.options.max_connections)) {
      Impl::SendError(
          s, Impl::Error(503, "too many open connections; retry later", "service_unavailable"), 11,
          false, ec);
      continue;
    }
    ++p.open_connections;
    {
      std::lock_guard<std::mutex> lock(p.mu);
      p.clients.insert(s.native_handle());
    }
    std::thread([&p, sock = std::move(s)]() mutable {
      const int fd = sock.native_handle();
      p.Serve(std::move(sock));
      std::lock_guard<std::mutex> lock(p.mu);
      p.clients.erase(fd);
      --p.open_connections;
      p.idle.notify_all();
    }).detach();
  }
  signals.join();
  // Drain: no client is read from any more (idle keep-alive connections end at once), requests
  // in progress finish; past the drain timeout their connections are cut.
  std::unique_lock<std::mutex> lock(p.mu);
  for (int fd : p.clients) ::shutdown(fd, SHUT_RD);
  const bool drained = p.idle.wait_for(
      lock, std::chrono::milliseconds(static_cast<int64_t>(p.options.drain_timeout_s * 1000)),
      [&p] { return p.open_connections == 0; });
  if (!drained) {
    for (int fd : p.clients) ::shutdown(fd, SHUT_RDWR);
    p.watchdog.CutAll();
    p.idle.wait(lock, [&p] { return p.open_connections == 0; });
    return Status::Error("the drain timeout passed with requests still open: they were cut");
  }
  return Status::Ok();
}

}  // namespace llms::cluster
