// The cluster end to end on loopback, with real processes: a redis-server started on a free port,
// `aegaeon serve --cluster` nodes and `aegaeon proxy` processes. Routing by model and the union
// of models; and every fault of docs/cluster.md: a node killed (SIGKILL) or stalled (SIGSTOP)
// while streaming, a node draining, Redis restarted, a proxy killed, a model nobody serves. Every
// request sent ends completed or failed explicitly: none is lost or hangs.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/server_launcher.h"
#include "cli_runner.h"
#include "http_test_client.h"
#include "server_process.h"

namespace llms::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Per process: CTest runs these tests side by side, and each test's files (port files, logs) must
// be its own.
std::string Dir() {
  static const std::string d = [] {
    const std::string p = ::testing::TempDir() + "/llms_cluster_" + std::to_string(getpid());
    fs::create_directories(p);
    llms::testing::RemoveAtExit(p);
    return p;
  }();
  return d;
}

int FreePort() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, LoopbackEndpoint(0));
  return a.local_endpoint().port();
}

// A mid-sized model whose decode takes a few ms a token, so streams overlap the faults.
bool MakeModel() {
  if (fs::exists(Dir() + "/mid.gguf")) return true;
  return RunCommand(Bin("aegaeon") +
                    " model dummy --preset qwen2-0.5b --dim 512 --hidden-dim 1536 --layers 8 "
                    "--heads 8 --kv-heads 2 --vocab 2048 --context 1024 --type f32 --output " +
                    Dir() + "/mid.gguf")
             .exit_code == 0;
}

class Redis {
 public:
  bool Start() {
    if (port_ == 0) port_ = FreePort();
    auto r = bench::ServerLauncher::StartOnPort(
        {RedisServer(), "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--logfile", Dir() + "/redis-" + std::to_string(port_) + ".log"},
        Dir() + "/redis-" + std::to_string(port_) + ".err", port_, 30);
    if (!r.ok()) {
      error_ = r.message();
      return false;
    }
    process_ = std::move(*r);
    return true;
  }
  void Kill() {
    if (process_) {
      process_->Signal(SIGKILL);
      process_->Wait(10);
      process_.reset();
    }
  }
  std::string Url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  std::string Cli(const std::string& args) const {
    return RunCommand("redis-cli -p " + std::to_string(port_) + " " + args).out;
  }
  const std::string& error() const { return error_; }
  static std::string RedisServer() {
    const CommandResult r = RunCommand("command -v redis-server");
    std::string path = r.out;
    while (!path.empty() && (path.back() == '\n' || path.back() == ' ')) path.pop_back();
    return path;
  }

 private:
  int port_ = 0;
  std::unique_ptr<bench::ServerLauncher> process_;
  std::string error_;
};

class Proxy {
 public:
  bool Start(const std::string& redis_url, double lease, const std::string& name,
             const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {Bin("aegaeon"), "proxy",   "--cluster",
                                     redis_url,      "--lease", std::to_string(lease),
                                     "--name",       name};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = bench::ServerLauncher::Start(argv, Dir() + "/" + name + ".log", 60);
    if (!r.ok()) {
      error_ = r.message();
      return false;
    }
    process_ = std::move(*r);
    return true;
  }
  int port() const { return process_->port(); }
  void Kill() {
    process_->Signal(SIGKILL);
    process_->Wait(10);
  }
  int Stop() { return process_->Stop(60); }
  json Health() const {
    const HttpReply r = HttpCall(port(), "GET", "/health");
    return json::parse(r.body, nullptr, false);
  }
  std::string Metrics() const { return HttpCall(port(), "GET", "/metrics").body; }
  // Waits until the proxy sees `n` live nodes; false after `timeout_s`.
  bool WaitForNodes(size_t n, double timeout_s) const {
    const auto end = Clock::now() + std::chrono::milliseconds(static_cast<int>(timeout_s * 1000));
    while (Clock::now() < end) {
      const json h = Health();
      if (h.is_object() && h["nodes"] == n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  const std::string& error() const { return error_; }

 private:
  std::unique_ptr<bench::ServerLauncher> process_;
  std::string error_;
};

std::vector<std::string> NodeArgs(const std::string& redis, const std::string& name, double lease) {
  return {"--model", "mid=" + Dir() + "/mid.gguf", "--cluster",         redis, "--node", name,
          "--lease", std::to_string(lease),        "--instance-memory", "160"};
}

std::string StreamBody(int max_tokens) {
  return json{{"model", "mid"},
              {"prompt", "hello there"},
              {"max_tokens", max_tokens},
              {"ignore_eos", true},
              {"stream", true}}
      .dump();
}

// How a streamed request ended: completed ([DONE]), failed with an explicit error event, or
// neither (a lost request: the test fails on it).
enum class End { kCompleted, kFailed, kLost };
End Classify(const std::string& body) {
  if (body.find("data: [DONE]") != std::string::npos) return End::kCompleted;
  if (body.find("\"error\"") != std::string::npos) return End::kFailed;
  return End::kLost;
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Redis::RedisServer().empty()) {
      GTEST_SKIP()
          << "redis-server is absent: scripts/setup.sh installs it (Debian's redis-server)";
    }
    ASSERT_TRUE(MakeModel());
    ASSERT_TRUE(redis_.Start()) << redis_.error();
  }
  Redis redis_;
};

TEST_F(ClusterTest, RoutesByModelAndListsTheUnion) {
  ServerProcess n1, n2;
  ASSERT_TRUE(n1.Start({"--model", "a=" + Dir() + "/mid.gguf", "--cluster", redis_.Url(), "--node",
                        "n1", "--instance-memory", "160"},
                       Dir()))
      << n1.log();
  ASSERT_TRUE(n2.Start({"--model", "b=" + Dir() + "/mid.gguf", "--cluster", redis_.Url(), "--node",
                        "n2", "--instance-memory", "160"},
                       Dir()))
      << n2.log();
  Proxy proxy;
  ASSERT_TRUE(proxy.Start(redis_.Url(), 2, "p1")) << proxy.error();
  ASSERT_TRUE(proxy.WaitForNodes(2, 5));
  const json models = json::parse(HttpCall(proxy.port(), "GET", "/v1/models").body);
  ASSERT_EQ(models["data"].size(), 2u) << models.dump();
  EXPECT_EQ(models["data"][0]["id"], "a");
  EXPECT_EQ(models["data"][1]["id"], "b");
  EXPECT_GT(models["data"][0]["max_model_len"].get<int>(), 0);
  for (const char* m : {"a", "b", "a"}) {
    const HttpReply r = HttpCall(proxy.port(), "POST", "/v1/completions",
                                 json{{"model", m}, {"prompt", "hi"}, {"max_tokens", 4}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body)["model"], m);
  }
  // A streamed chat goes through event by event, ending in [DONE].
  HttpStream chat;
  ASSERT_TRUE(chat.Open(proxy.port(), "/v1/chat/completions",
                        json{{"model", "b"},
                             {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})},
                             {"max_tokens", 6},
                             {"stream", true}}
                            .dump()));
  EXPECT_EQ(chat.status, 200);
  const std::string events = chat.ReadAll();
  EXPECT_NE(events.find("chat.completion.chunk"), std::string::npos) << events;
  EXPECT_EQ(Classify(events), End::kCompleted) << events;
  const std::string metrics = proxy.Metrics();
  if (RunCommand("command -v promtool").exit_code == 0) {
    std::ofstream(Dir() + "/proxy-metrics.txt") << metrics;
    const CommandResult check =
        RunCommand("promtool check metrics < " + Dir() + "/proxy-metrics.txt");
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  }
  EXPECT_EQ(Metric(metrics, "aegaeon_proxy_requests_total", "node=\"n1\",model=\"a\""), 2);
  EXPECT_EQ(Metric(metrics, "aegaeon_proxy_requests_total", "node=\"n2\",model=\"b\""), 2);
  // A model no live node serves: 503 with an error object naming it.
  const HttpReply none = HttpCall(proxy.port(), "POST", "/v1/completions",
                                  json{{"model", "zzz"}, {"prompt", "hi"}}.dump());
  EXPECT_EQ(none.status, 503);
  const json e = json::parse(none.body);
  EXPECT_NE(e["error"]["message"].get<std::string>().find("'zzz'"), std::string::npos);
  EXPECT_EQ(e["error"]["code"], "model_not_available");
  // Each request has its record in Redis (ids are cluster-wide: the proxy's number, then its
  // own count), written off the request's path.
  const std::string first =
      "aegaeon:request:req-" + redis_.Cli("GET aegaeon:proxy_seq").substr(0, 1) + "-1";
  for (int i = 0; i < 100 && redis_.Cli("HGET " + first + " state") != "completed\n"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(redis_.Cli("HGET " + first + " state"), "completed\n");
  EXPECT_EQ(redis_.Cli("HGET " + first + " model"), "a\n");
  EXPECT_EQ(redis_.Cli("HGET " + first + " node"), "n1\n");
  EXPECT_GT(std::stoi(redis_.Cli("TTL " + first)), 3000);
  // A clean shutdown deregisters at once.
  EXPECT_EQ(n2.Stop(), 0);
  EXPECT_TRUE(proxy.WaitForNodes(1, 2));
  EXPECT_EQ(redis_.Cli("SMEMBERS aegaeon:nodes"), "n1\n");
  EXPECT_EQ(proxy.Stop(), 0);
}

// Streams through the proxy, then `fault` on n1 once every stream has begun: each stream ends
// completed or with an explicit error event, some of each; new requests all complete on n2.
// `after`, when given, runs last, with n1 and the proxy still up.
void StreamsSurvive(Redis& redis, const std::function<void(ServerProcess&)>& fault,
                    double detect_within_s,
                    const std::function<void(ServerProcess&, Proxy&)>& after = nullptr) {
  ServerProcess n1, n2;
  ASSERT_TRUE(n1.Start(NodeArgs(redis.Url(), "n1", 1), Dir())) << n1.log();
  ASSERT_TRUE(n2.Start(NodeArgs(redis.Url(), "n2", 1), Dir())) << n2.log();
  Proxy proxy;
  // Pure least-queue routing, so that both nodes get streams.
  ASSERT_TRUE(proxy.Start(redis.Url(), 1, "p-streams", {"--switch-penalty", "0"})) << proxy.error();
  ASSERT_TRUE(proxy.WaitForNodes(2, 5));
  constexpr int kStreams = 8;
  std::vector<std::unique_ptr<HttpStream>> streams;
  std::vector<std::string> bodies(kStreams);
  for (int i = 0; i < kStreams; ++i) {
    streams.push_back(std::make_unique<HttpStream>());
    ASSERT_TRUE(streams.back()->Open(proxy.port(), "/v1/completions", StreamBody(400)));
    ASSERT_EQ(streams.back()->status, 200);
  }
  for (int i = 0; i < kStreams; ++i)
    bodies[static_cast<size_t>(i)] = streams[static_cast<size_t>(i)]->Next();
  const auto at = Clock::now();
  fault(n1);
  // The proxy stops routing to n1 within the detection bound.
  EXPECT_TRUE(proxy.WaitForNodes(1, detect_within_s)) << proxy.Health().dump();
  const double detected = std::chrono::duration<double>(Clock::now() - at).count();
  int completed = 0, failed = 0;
  for (int i = 0; i < kStreams; ++i) {
    bodies[static_cast<size_t>(i)] += streams[static_cast<size_t>(i)]->ReadAll();
    switch (Classify(bodies[static_cast<size_t>(i)])) {
      case End::kCompleted:
        ++completed;
        break;
      case End::kFailed:
        ++failed;
        EXPECT_NE(bodies[static_cast<size_t>(i)].find("node_lost"), std::string::npos);
        EXPECT_EQ(bodies[static_cast<size_t>(i)].find("[DONE]"), std::string::npos);
        break;
      case End::kLost:
        ADD_FAILURE() << "stream " << i
                      << " ended silently: " << bodies[static_cast<size_t>(i)].substr(0, 300);
    }
  }
  EXPECT_EQ(completed + failed, kStreams);
  EXPECT_GE(failed, 1) << "no stream was on n1";
  EXPECT_GE(completed, 1) << "no stream was on n2";
  // New requests go to the live node.
  for (int i = 0; i < 4; ++i) {
    const HttpReply r = HttpCall(proxy.port(), "POST", "/v1/completions",
                                 json{{"model", "mid"}, {"prompt", "x"}, {"max_tokens", 4}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
  }
  EXPECT_GE(Metric(proxy.Metrics(), "aegaeon_proxy_node_losses_total"), 1);
  EXPECT_GE(Metric(proxy.Metrics(), "aegaeon_proxy_failed_total", "node_lost"), failed);
  std::fprintf(stderr, "fault detected after %.2f s; %d streams completed, %d failed\n", detected,
               completed, failed);
  if (after) after(n1, proxy);
}

TEST_F(ClusterTest, ANodeKilledMidStreamFailsItsStreamsExplicitly) {
  StreamsSurvive(
      redis_, [](ServerProcess& n) { n.Signal(SIGKILL); }, 1.0);
}

TEST_F(ClusterTest, ANodeStalledPastItsLeaseIsDroppedAndItsStreamsFail) {
  StreamsSurvive(
      redis_, [](ServerProcess& n) { n.Signal(SIGSTOP); },
      1.2,  // one lease (1 s), and the test's own polling
      [](ServerProcess& n, Proxy& proxy) {
        // Resumed, it beats again and is routed to again.
        n.Signal(SIGCONT);
        EXPECT_TRUE(proxy.WaitForNodes(2, 3)) << proxy.Health().dump();
      });
}

TEST_F(ClusterTest, RequestsNotYetStartedOnAKilledNodeGoElsewhere) {
  // A long lease: the proxy still lists n1 after its death, so it must find out by trying.
  ServerProcess n1, n2;
  ASSERT_TRUE(n1.Start(NodeArgs(redis_.Url(), "n1", 8), Dir())) << n1.log();
  ASSERT_TRUE(n2.Start(NodeArgs(redis_.Url(), "n2", 8), Dir())) << n2.log();
  Proxy proxy;
  ASSERT_TRUE(proxy.Start(redis_.Url(), 8, "p-reroute")) << proxy.error();
  ASSERT_TRUE(proxy.WaitForNodes(2, 5));
  n1.Signal(SIGKILL);
  n1.Wait(10);
  for (int i = 0; i < 6; ++i) {
    const HttpReply r = HttpCall(proxy.port(), "POST", "/v1/completions",
                                 json{{"model", "mid"}, {"prompt", "x"}, {"max_tokens", 4}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
  }
  const std::string m = proxy.Metrics();
  EXPECT_EQ(Metric(m, "aegaeon_proxy_reroutes_total"), 1) << m;
  EXPECT_EQ(Metric(m, "aegaeon_proxy_requests_total", "node=\"n2\""), 6);
  EXPECT_EQ(proxy.Health()["nodes"], 1);
}

TEST_F(ClusterTest, RedisRestartedLosesNothing) {
  ServerProcess n1;
  ASSERT_TRUE(n1.Start(NodeArgs(redis_.Url(), "n1", 1), Dir())) << n1.log();
  Proxy proxy;
  ASSERT_TRUE(proxy.Start(redis_.Url(), 1, "p-redis")) << proxy.error();
  ASSERT_TRUE(proxy.WaitForNodes(1, 5));
  redis_.Kill();
  // Serving goes on with the membership last seen.
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const HttpReply r = HttpCall(proxy.port(), "POST", "/v1/completions",
                                 json{{"model", "mid"}, {"prompt", "x"}, {"max_tokens", 4}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
  }
  EXPECT_EQ(proxy.Health()["redis"], "unreachable");
  ASSERT_TRUE(redis_.Start()) << redis_.error();
  // The node registers again within a quarter lease; the proxy reads it again.
  const auto end = Clock::now() + std::chrono::seconds(3);
  while (Clock::now() < end && redis_.Cli("SMEMBERS aegaeon:nodes") != "n1\n") {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(redis_.Cli("SMEMBERS aegaeon:nodes"), "n1\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(proxy.Health()["redis"], "reachable");
  const HttpReply r = HttpCall(proxy.port(), "POST", "/v1/completions",
                               json{{"model", "mid"}, {"prompt", "x"}, {"max_tokens", 4}}.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(proxy.Stop(), 0);
  EXPECT_EQ(n1.Stop(), 0);
}

TEST_F(ClusterTest, AProxyKilledLeavesTheOthersClientsUntouched) {
  ServerProcess n1;
  ASSERT_TRUE(n1.Start(NodeArgs(redis_.Url(), "n1", 1), Dir())) << n1.log();
  Proxy a, b;
  ASSERT_TRUE(a.Start(redis_.Url(), 1, "pa")) << a.error();
  ASSERT_TRUE(b.Start(redis_.Url(), 1, "pb")) << b.error();
  ASSERT_TRUE(a.WaitForNodes(1, 5));
  ASSERT_TRUE(b.WaitForNodes(1, 5));
  HttpStream via_a, via_b;
  ASSERT_TRUE(via_a.Open(a.port(), "/v1/completions", StreamBody(200)));
  ASSERT_TRUE(via_b.Open(b.port(), "/v1/completions", StreamBody(200)));
  EXPECT_FALSE(via_b.Next().empty());
  a.Kill();
  EXPECT_EQ(Classify(via_b.ReadAll()), End::kCompleted);
  (void)via_a.ReadAll();  // cut: its client sees the connection close
  EXPECT_EQ(b.Stop(), 0);
}

TEST_F(ClusterTest, ADrainingNodeFinishesItsStreamsAndTakesNothingNew) {
  ServerProcess n1, n2;
  ASSERT_TRUE(n1.Start(NodeArgs(redis_.Url(), "n1", 1), Dir())) << n1.log();
  ASSERT_TRUE(n2.Start(NodeArgs(redis_.Url(), "n2", 1), Dir())) << n2.log();
  Proxy proxy;
  ASSERT_TRUE(proxy.Start(redis_.Url(), 1, "p-drain", {"--switch-penalty", "0"})) << proxy.error();
  ASSERT_TRUE(proxy.WaitForNodes(2, 5));
  std::vector<std::unique_ptr<HttpStream>> streams;
  for (int i = 0; i < 4; ++i) {
    streams.push_back(std::make_unique<HttpStream>());
    ASSERT_TRUE(streams.back()->Open(proxy.port(), "/v1/completions", StreamBody(200)));
    EXPECT_FALSE(streams.back()->Next().empty());
  }
  n1.Signal(SIGTERM);
  for (int i = 0; i < 4; ++i) {
    const HttpReply r = HttpCall(proxy.port(), "POST", "/v1/completions",
                                 json{{"model", "mid"}, {"prompt", "x"}, {"max_tokens", 4}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
  }
  for (auto& s : streams) {
    const std::string body = s->ReadAll();
    EXPECT_EQ(Classify(body), End::kCompleted)
        << body.substr(body.size() > 600 ? body.size() - 600 : 0);
  }
  EXPECT_EQ(n1.Wait(60), 0) << n1.log();
  EXPECT_TRUE(proxy.WaitForNodes(1, 2));
  EXPECT_EQ(redis_.Cli("SMEMBERS aegaeon:nodes"), "n2\n");
}

TEST_F(ClusterTest, TheOfficialOpenAiNpmClientWorksThroughAProxy) {
  LLMS_REQUIRE_SHARED();
  const std::string client = std::string(LLMS_SOURCE_DIR) + "/tests/openai_client";
  if (!fs::exists(client + "/node_modules/openai")) {
    GTEST_SKIP()
        << "tests/openai_client/node_modules is absent: scripts/setup.sh runs npm ci there";
  }
  const std::string st = SharedDir() + "/models/stories260K";
  ServerProcess n1, n2;
  for (auto* n : {&n1, &n2}) {
    ASSERT_TRUE(n->Start({"--model", "stories=" + st + "/stories260K.bin", "--tokenizer",
                          "stories=" + st + "/tok512.bin", "--cluster", redis_.Url(), "--node",
                          n == &n1 ? "s1" : "s2", "--api-key", "k"},
                         Dir()))
        << n->log();
  }
  Proxy proxy;
  ASSERT_TRUE(proxy.Start(redis_.Url(), 2, "p-openai")) << proxy.error();
  ASSERT_TRUE(proxy.WaitForNodes(2, 5));
  // The proxy takes no key of its own here: the nodes check the one forwarded.
  const CommandResult r =
      RunCommand("node " + client + "/check.mjs http://127.0.0.1:" + std::to_string(proxy.port()) +
                 "/v1 k 503");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok: 1 models"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace llms::testing
