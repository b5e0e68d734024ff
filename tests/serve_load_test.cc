// `aegaeon serve` under load and faults, as real processes over real HTTP (issue 23): many
// concurrent streams on tight KV memory under every policy, mixed models, clients that vanish
// mid-stream, long prompts beside short ones, overload refused before any byte; every request
// ends with `[DONE]` and no error event, or is refused up front, and the server is healthy after
// (no request failed, no KV left behind, the host KV pool never past its capacity). Also the
// deployment limits and protocol details: header, body and keep-alive timeouts, the connection
// cap, HTTP/1.0 streaming, `Expect: 100-continue`, the drain timeout, a model file truncated
// under the server, `HEAD`, case-insensitive `Bearer`, and errors caught before models load.
// CI runs it on the AddressSanitizer build and on a ThreadSanitizer build (preset tsan).
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/stream_load.h"
#include "cli_runner.h"
#include "http_test_client.h"
#include "server_process.h"

namespace llms::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string Dir() {
  static const std::string dir = [] {
    const std::string d = ::testing::TempDir() + "/serve_load_" + std::to_string(getpid());
    fs::create_directories(d);
    llms::testing::RemoveAtExit(d);
    return d;
  }();
  return dir;
}

// stories260K as GGUF, a small Qwen2-shaped model, and a mid-sized one whose decode is slow
// enough (a few ms a token) for requests to overlap a drain.
bool MakeModels() {
  const std::string d = Dir();
  if (fs::exists(d + "/mid.gguf")) return true;
  const std::string s = SharedDir() + "/models/stories260K";
  return RunCommand(Bin("aegaeon") + " model convert --input " + s + "/stories260K.bin " +
                    "--tokenizer " + s + "/tok512.bin --output " + d + "/stories.gguf")
                 .exit_code == 0 &&
         RunCommand(Bin("aegaeon") +
                    " model dummy --preset qwen2-0.5b --dim 128 --hidden-dim 384 --layers 2 "
                    "--heads 4 --kv-heads 2 --vocab 1024 --context 512 --type f16 --output " +
                    d + "/small.gguf")
                 .exit_code == 0 &&
         RunCommand(Bin("aegaeon") +
                    " model dummy --preset qwen2-0.5b --dim 512 --hidden-dim 1536 --layers 8 "
                    "--heads 8 --kv-heads 2 --vocab 2048 --context 1024 --type f32 --output " +
                    d + "/mid.gguf")
                 .exit_code == 0;
}

class Server {
 public:
  bool Start(std::vector<std::string> args) { return process_.Start(args, Dir()); }
  int port() const { return process_.port(); }
  std::string log() const { return process_.log(); }
  int Stop() { return process_.Stop(120); }
  void Signal(int sig) { process_.Signal(sig); }
  int Wait(int s) { return process_.Wait(s); }
  std::string Metrics() const { return HttpCall(port(), "GET", "/metrics").body; }

  // After a load: healthy, nothing failed, and (once every request left) no KV held anywhere
  // and the host KV pool never past its capacity.
  void ExpectHealthyAndClean() const {
    EXPECT_EQ(HttpCall(port(), "GET", "/health").status, 200);
    std::string m;
    for (int i = 0; i < 400; ++i) {
      m = Metrics();
      if (Metric(m, "aegaeon_kv_sequences") == 0 &&
          Metric(m, "aegaeon_requests_waiting") + Metric(m, "aegaeon_requests_running") == 0) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(Metric(m, "aegaeon_requests_total", R"(outcome="failed")"), 0) << log();
    EXPECT_EQ(Metric(m, "aegaeon_kv_sequences"), 0);
    EXPECT_EQ(Metric(m, "aegaeon_host_kv_overflow_bytes"), 0);
    for (int i = 0; i < 8; ++i) {
      EXPECT_EQ(Metric(m, "aegaeon_instance_kv_blocks_used", fmt::format("instance=\"{}\"", i)), 0);
    }
  }

 private:
  ServerProcess process_;
};

bench::StreamLoadOptions Options(int port) {
  bench::StreamLoadOptions o;
  o.endpoint.host = "127.0.0.1";
  o.endpoint.port = std::to_string(port);
  o.timeout_s = 900;
  return o;
}

// The issue's first crash: stories260K as GGUF in a 1.5 MiB arena (26 KV blocks: three of these
// requests per decode batch), 32 concurrent streams of 100 tokens.
TEST(ServeLoadTest, ThirtyTwoStreamsInATightArenaAllComplete) {
  LLMS_REQUIRE_SHARED();
  ASSERT_TRUE(MakeModels());
  for (const char* policy : {"aegaeon", "request-level"}) {
    Server server;
    ASSERT_TRUE(server.Start({"--model", "a=" + Dir() + "/stories.gguf", "--instance-memory", "1.5",
                              "--policy", policy}))
        << server.log();
    std::vector<bench::StreamSpec> specs(32);
    for (auto& s : specs) s.body = bench::StreamingCompletionBody("a", "Once upon a time", 100);
    const auto outcomes = bench::RunStreamLoad(Options(server.port()), specs);
    const bench::StreamLoadSummary sum = bench::Summarize(outcomes);
    EXPECT_EQ(sum.completed, 32) << policy << ": " << sum.ToString();
    // One event per token, then the one with the finish reason.
    for (const auto& o : outcomes) EXPECT_EQ(o.event_s.size(), 101u) << policy;
    server.ExpectHealthyAndClean();
    EXPECT_EQ(server.Stop(), 0) << server.log();
  }
}

// Many streams on default settings: every one is held (queued, then served) and completes.
TEST(ServeLoadTest, FiveHundredStreamsOnDefaultSettingsAllComplete) {
  LLMS_REQUIRE_SHARED();
  ASSERT_TRUE(MakeModels());
  Server server;
  ASSERT_TRUE(server.Start({"--model", "a=" + Dir() + "/stories.gguf"})) << server.log();
  std::vector<bench::StreamSpec> specs(500);
  for (size_t i = 0; i < specs.size(); ++i) {
    specs[i].body =
        bench::StreamingCompletionBody("a", i % 2 ? "Once upon a time" : "Lily and Tom", 48);
  }
  const bench::StreamLoadSummary sum =
      bench::Summarize(bench::RunStreamLoad(Options(server.port()), specs));
  EXPECT_EQ(sum.completed, 500) << sum.ToString();
  server.ExpectHealthyAndClean();
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

// Three models on tight arenas, Aegaeon (disaggregated and colocated) and request-level: short and
// long prompts, chat and
// completions, a quarter of the clients vanishing after their second token; every other request
// completes and the vanished ones free their KV.
TEST(ServeLoadTest, MixedModelsVanishingClientsAndLongPromptsLoseNothing) {
  LLMS_REQUIRE_SHARED();
  ASSERT_TRUE(MakeModels());
  std::string long_prompt;
  for (int i = 0; i < 25; ++i) long_prompt += "the cat sat on the mat and ";
  for (const char* policy : {"aegaeon", "request-level"}) {
    Server server;
    ASSERT_TRUE(
        server.Start({"--model", "stories=" + Dir() + "/stories.gguf", "--model",
                      "small=" + Dir() + "/small.gguf", "--model", "mid=" + Dir() + "/mid.gguf",
                      "--policy", policy, "--instances", "3", "--instance-memory", "160"}))
        << server.log();
    std::vector<bench::StreamSpec> specs;
    const char* models[] = {"stories", "small", "mid"};
    for (int i = 0; i < 96; ++i) {
      bench::StreamSpec s;
      const std::string model = models[i % 3];
      const std::string prompt = i % 5 == 0 ? long_prompt : "Once upon a time";
      if (i % 7 == 3) {
        s.path = "/v1/chat/completions";
        s.body = json{
            {"model", model},
            {"messages", {{{"role", "user"}, {"content", prompt}}}},
            {"max_tokens", 24},
            {"stream", true},
            {"ignore_eos",
             true}}.dump();
      } else {
        s.body = bench::StreamingCompletionBody(model, prompt, model == "mid" ? 16 : 40);
      }
      if (i % 4 == 1) s.disconnect_after = 2;
      s.start_s = 0.002 * i;
      specs.push_back(s);
    }
    const auto outcomes = bench::RunStreamLoad(Options(server.port()), specs);
    const bench::StreamLoadSummary sum = bench::Summarize(outcomes);
    EXPECT_EQ(sum.failed, 0) << policy << ": " << sum.ToString();
    EXPECT_EQ(sum.refused, 0) << policy << ": " << sum.ToString();
    EXPECT_EQ(sum.disconnected, 24) << policy << ": " << sum.ToString();
    server.ExpectHealthyAndClean();
    const std::string m = server.Metrics();
    // A client may vanish after its request has already finished on the server.
    const double completed = Metric(m, "aegaeon_requests_total", R"(outcome="completed")");
    const double cancelled = Metric(m, "aegaeon_requests_total", R"(outcome="cancelled")");
    EXPECT_EQ(completed + cancelled, 96) << policy;
    EXPECT_GE(completed, 72) << policy;
    EXPECT_EQ(server.Stop(), 0) << server.log();
  }
}

// Beyond the queue a request is refused with 429 and Retry-After before any byte of a body; the
// ones accepted all complete.
TEST(ServeLoadTest, OverloadIsRefusedUpFrontAndTheAcceptedComplete) {
  LLMS_REQUIRE_SHARED();
  ASSERT_TRUE(MakeModels());
  Server server;
  ASSERT_TRUE(server.Start(
      {"--model", "a=" + Dir() + "/stories.gguf", "--instance-memory", "1.5", "--max-queue", "4"}))
      << server.log();
  std::vector<bench::StreamSpec> specs(64);
  for (auto& s : specs) s.body = bench::StreamingCompletionBody("a", "Once upon a time", 60);
  const auto outcomes = bench::RunStreamLoad(Options(server.port()), specs);
  const bench::StreamLoadSummary sum = bench::Summarize(outcomes);
  EXPECT_EQ(sum.failed, 0) << sum.ToString();
  EXPECT_GT(sum.refused, 0) << sum.ToString();
  EXPECT_GE(sum.completed, 4) << sum.ToString();
  for (const auto& o : outcomes) {
    if (o.kind == bench::StreamOutcome::Kind::kRefused) {
      EXPECT_EQ(o.status, 429);
      EXPECT_NE(o.error.find("rate_limit_exceeded"), std::string::npos) << o.error;
    }
  }
  server.ExpectHealthyAndClean();
  EXPECT_EQ(Metric(server.Metrics(), "aegaeon_rejected_total", R"(status="429")"), sum.refused);
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

// A prompt of megabytes is tokenized off the I/O thread (the server answers /health meanwhile),
// and refused for the context it exceeds; one past --max-prompt-mb is refused without tokenizing.
TEST(ServeLoadTest, HugePromptsAreRefusedAndTheServerStaysResponsive) {
  LLMS_REQUIRE_SHARED();
  ASSERT_TRUE(MakeModels());
  Server server;
  ASSERT_TRUE(server.Start({"--model", "a=" + Dir() + "/stories.gguf", "--max-prompt-mb", "2"}))
      << server.log();
  std::string big;
  while (big.size() < (1u << 20)) big += "hello ";
  HttpReply reply;
  std::thread t([&] {
    reply = HttpCall(server.port(), "POST", "/v1/completions",
                     json{{"model", "a"}, {"prompt", big}, {"max_tokens", 4}}.dump());
  });
  for (int i = 0; i < 20; ++i) EXPECT_EQ(HttpCall(server.port(), "GET", "/health").status, 200);
  t.join();
  EXPECT_EQ(reply.status, 400) << reply.body.substr(0, 300);
  EXPECT_NE(reply.body.find("context_length_exceeded"), std::string::npos);
  big += big + big;  // 3 MiB
  reply = HttpCall(server.port(), "POST", "/v1/completions",
                   json{{"model", "a"}, {"prompt", big}, {"max_tokens", 4}}.dump());
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("--max-prompt-mb"), std::string::npos) << reply.body.substr(0, 300);
  server.ExpectHealthyAndClean();
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

// What a deployment advertises it can serve: max_model_len bounded by an instance's KV space; a
// chat request without max_tokens fits it, and ends with finish_reason "length".
TEST(ServeLoadTest, MaxModelLenIsWhatFitsAndTheDefaultMaxTokensFitsIt) {
  LLMS_REQUIRE_SHARED();
  ASSERT_TRUE(MakeModels());
  Server server;
  ASSERT_TRUE(
      server.Start({"--model", "a=" + Dir() + "/stories.gguf", "--instance-memory", "1.25"}))
      << server.log();
  const json models = json::parse(HttpCall(server.port(), "GET", "/v1/models").body);
  const int max_len = models["data"][0]["max_model_len"];
  EXPECT_LT(max_len, 512);  // the context is 512; 1.25 MiB holds less
  EXPECT_EQ(max_len % 16, 0);
  const HttpReply r =
      HttpCall(server.port(), "POST", "/v1/chat/completions",
               json{{"model", "a"},
                    {"messages", {{{"role", "user"}, {"content", "Once upon a time"}}}},
                    {"ignore_eos", true}}
                   .dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = json::parse(r.body);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["prompt_tokens"].get<int>() + j["usage"]["completion_tokens"].get<int>(),
            max_len);
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

// A raw socket to the server, for what an HTTP library would hide.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawConnection() { close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& s) { (void)!write(fd_, s.data(), s.size()); }
  // Reads until `until` appears, the peer closes, or `timeout_ms` passes without data.
  std::string Read(const std::string& until = "", int timeout_ms = 5000) {
    std::string out;
    char buf[4096];
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, timeout_ms) <= 0) break;
      const ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
      if (!until.empty() && out.find(until) != std::string::npos) break;
    }
    return out;
  }
  bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  bool connected_ = false, closed_ = false;
};

std::string PostHead(const std::string& version, size_t length, const std::string& extra = "") {
  return fmt::format(
      "POST /v1/completions HTTP/{}\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: {}\r\n{}\r\n",
      version, length, extra);
}

// HTTP/1.0 streaming has no chunked encoding: the events, then the close; `Expect:
// 100-continue` is answered before the body is sent; HEAD /health; a lowercase bearer scheme.
TEST(ServeLoadTest, ProtocolDetails) {
  LLMS_REQUIRE_SHARED();
  ASSERT_TRUE(MakeModels());
  Server server;
  ASSERT_TRUE(server.Start({"--model", "a=" + Dir() + "/stories.gguf", "--api-key", "k"}))
      << server.log();
  const std::string body = bench::StreamingCompletionBody("a", "Once upon a time", 5);
  {
    RawConnection c(server.port());
    ASSERT_TRUE(c.connected());
    c.Send(PostHead("1.0", body.size(), "Authorization: bearer k\r\n") + body);
    const std::string reply = c.Read();
    EXPECT_EQ(reply.rfind("HTTP/1.0 200", 0), 0u) << reply;
    EXPECT_EQ(reply.find("chunked"), std::string::npos) << reply;
    EXPECT_NE(reply.find("data: [DONE]\n\n"), std::string::npos) << reply;
    EXPECT_TRUE(c.closed());
  }
  {
    RawConnection c(server.port());
    c.Send(PostHead("1.1", body.size(), "Authorization: Bearer k\r\nExpect: 100-continue\r\n"));
    EXPECT_EQ(c.Read("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
    c.Send(body);
    const std::string reply = c.Read("0\r\n\r\n");
    EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
    EXPECT_NE(reply.find("data: [DONE]"), std::string::npos) << reply;
  }
  {
    RawConnection c(server.port());
    c.Send("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string reply = c.Read("\r\n\r\n", 2000);
    EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
    EXPECT_NE(reply.find("Content-Length: 15"), std::string::npos) << reply;
    EXPECT_EQ(c.Read("", 300), "");  // no body follows
    // An error answer to HEAD has no body either, and the connection serves on.
    c.Send("HEAD /v1/models HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string denied = c.Read("\r\n\r\n", 2000);
    EXPECT_EQ(denied.rfind("HTTP/1.1 401", 0), 0u) << denied;
    EXPECT_EQ(c.Read("", 300), "");
    c.Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c.Read("ok\"}", 2000).rfind("HTTP/1.1 200", 0), 0u);
  }
  EXPECT_EQ(HttpCall(server.port(), "POST", "/v1/completions", body, "wrong").status, 401);
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

// A client that sends half a header is disconnected after --header-timeout; an idle
// kept-alive connection is closed after --keep-alive-timeout; past --max-connections a new
// connection gets 503 and the server keeps serving the others.
TEST(ServeLoadTest, TimeoutsAndTheConnectionCap) {
  LLMS_REQUIRE_SHARED();
  ASSERT_TRUE(MakeModels());
  Server server;
  ASSERT_TRUE(server.Start({"--model", "a=" + Dir() + "/stories.gguf", "--header-timeout", "1",
                            "--keep-alive-timeout", "1", "--max-connections", "4"}))
      << server.log();
  {
    RawConnection slow(server.port());
    slow.Send("POST /v1/completions HTTP/1.1\r\nHost: x\r\n");
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(slow.Read("", 4000), "");
    EXPECT_TRUE(slow.closed());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
  }
  {
    RawConnection idle(server.port());
    idle.Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_NE(idle.Read("ok\"}", 2000).find("200 OK"), std::string::npos);
    (void)idle.Read("", 4000);
    EXPECT_TRUE(idle.closed());
  }
  {
    std::vector<std::unique_ptr<RawConnection>> held;
    for (int i = 0; i < 4; ++i) held.push_back(std::make_unique<RawConnection>(server.port()));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    RawConnection extra(server.port());
    extra.Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");  // unread: the 503 must still arrive
    const std::string reply = extra.Read("", 2000);
    EXPECT_EQ(reply.rfind("HTTP/1.1 503", 0), 0u) << reply;
    EXPECT_NE(reply.find("Retry-After"), std::string::npos) << reply;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the held ones time out
  EXPECT_EQ(HttpCall(server.port(), "GET", "/health").status, 200);
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

// Past the drain timeout, requests still running end with an explicit error (an error event in
// a stream, 503 otherwise) and the server exits with an error status.
TEST(ServeLoadTest, TheDrainTimeoutEndsRequestsWithAnError) {
  LLMS_REQUIRE_SHARED();
  ASSERT_TRUE(MakeModels());
  Server server;
  ASSERT_TRUE(server.Start({"--model", "mid=" + Dir() + "/mid.gguf", "--drain-timeout", "0.5",
                            "--policy", "request-level", "--instances", "1"}))
      << server.log();
  HttpStream stream;
  ASSERT_TRUE(stream.Open(server.port(), "/v1/completions",
                          bench::StreamingCompletionBody("mid", "Once", 900)));
  ASSERT_EQ(stream.status, 200);
  ASSERT_FALSE(stream.Next().empty());  // the first token is out
  HttpReply whole;
  std::thread t([&] {
    whole = HttpCall(
        server.port(), "POST", "/v1/completions",
        json{{"model", "mid"}, {"prompt", "Once"}, {"max_tokens", 900}, {"ignore_eos", true}}
            .dump());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  server.Signal(SIGTERM);
  const std::string rest = stream.ReadAll();
  t.join();
  EXPECT_NE(rest.find("\"error\""), std::string::npos) << rest.substr(rest.size() - 300);
  EXPECT_NE(rest.find("drain timeout"), std::string::npos);
  EXPECT_EQ(whole.status, 503) << whole.body;
  EXPECT_NE(server.Wait(60), 0) << server.log();
  EXPECT_NE(server.log().find("drain timeout"), std::string::npos) << server.log();
}

// A served model file truncated in place: requests for it fail with an explicit error naming the
// file, the server keeps running and serves its other model.
TEST(ServeLoadTest, AModelFileTruncatedUnderTheServerFailsItsRequestsNotTheServer) {
  LLMS_REQUIRE_SHARED();
  ASSERT_TRUE(MakeModels());
  const std::string victim = Dir() + "/victim.gguf";
  fs::copy_file(Dir() + "/small.gguf", victim, fs::copy_options::overwrite_existing);
  Server server;
  ASSERT_TRUE(server.Start({"--model", "a=" + Dir() + "/stories.gguf", "--model", "v=" + victim,
                            "--policy", "request-level", "--instances", "1"}))
      << server.log();
  fs::resize_file(victim, fs::file_size(victim) / 2);
  const HttpReply r = HttpCall(server.port(), "POST", "/v1/completions",
                               json{{"model", "v"}, {"prompt", "hi"}, {"max_tokens", 3}}.dump());
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("truncated"), std::string::npos) << r.body;
  const HttpReply ok = HttpCall(server.port(), "POST", "/v1/completions",
                                json{{"model", "a"}, {"prompt", "hi"}, {"max_tokens", 3}}.dump());
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(HttpCall(server.port(), "GET", "/health").status, 200);
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

// Mistakes that need no model are reported before the models load: a bad --host, a port in use;
// an IPv6 address is printed in brackets; a corrupt .gguf is called a GGUF problem.
TEST(ServeLoadTest, StartupErrorsAreClearAndEarly) {
  LLMS_REQUIRE_SHARED();
  ASSERT_TRUE(MakeModels());
  const std::string model = "a=" + Dir() + "/stories.gguf";
  const std::string aegaeon = Bin("aegaeon");
  CommandResult r = RunCommand(aegaeon + " serve --host not-an-ip --model " + model);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("is not an IP address"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("loading"), std::string::npos) << r.err;
  Server server;
  ASSERT_TRUE(server.Start({"--model", model})) << server.log();
  r = RunCommand(aegaeon + " serve --port " + std::to_string(server.port()) + " --model " + model);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot listen"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("loading"), std::string::npos) << r.err;
  EXPECT_EQ(server.Stop(), 0) << server.log();
  const std::string corrupt = Dir() + "/corrupt.gguf";
  std::ofstream(corrupt) << "this is not a model";
  r = RunCommand(aegaeon + " serve --model c=" + corrupt);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("GGUF"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("llama2.c"), std::string::npos) << r.err;
  Server v6;
  if (v6.Start({"--host", "::1", "--model", model})) {
    EXPECT_NE(v6.log().find("http://[::1]:"), std::string::npos) << v6.log();
    EXPECT_EQ(v6.Stop(), 0);
  }
}

}  // namespace
}  // namespace llms::testing
