// End to end: `aegaeon serve` as a real process on a loopback port with stories260K (from
// ../shared) and two random-weight models it generates, driven over real HTTP: the model list, a
// greedy completion against the golden text, a streamed chat, the error table, overload, a
// client that disconnects mid-stream (its KV freed, visible in /metrics), random bodies (only
// 4xx), promtool on /metrics, `aegaeon bench` replaying a servegen workload (the server's counters
// equal the client's), and SIGTERM draining.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "cli_runner.h"
#include "http_test_client.h"
#include "server_process.h"

namespace llms::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kKey = "test-key-123";

std::string Dir() {
  static const std::string dir = [] {
    const std::string d = ::testing::TempDir() + "/aegaeon_serve_" + std::to_string(getpid());
    fs::create_directories(d);
    llms::testing::RemoveAtExit(d);
    return d;
  }();
  return dir;
}

// The three models: stories260K and two random-weight models of different architectures.
std::vector<std::string> ModelArgs() {
  const std::string s = SharedDir() + "/models/stories260K";
  return {"--model",     "stories=" + s + "/stories260K.bin",
          "--tokenizer", "stories=" + s + "/tok512.bin",
          "--model",     "tiny=" + Dir() + "/tiny.gguf",
          "--model",     "small=" + Dir() + "/small.gguf"};
}

// tiny carries a ChatML chat template in its GGUF metadata (Qwen2's, as its GGUF files carry it).
bool MakeModels() {
  const std::string d = Dir();
  if (fs::exists(d + "/tiny.gguf") && fs::exists(d + "/small.gguf")) return true;
  std::ofstream(d + "/chatml.jinja")
      << "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
         "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
         "{{ '<|im_start|>assistant\\n' }}{% endif %}";
  return RunCommand(Bin("aegaeon") + " model dummy --preset llama-tiny --type q8_0 --output " + d +
                    "/tiny.gguf --chat-template " + d + "/chatml.jinja")
                 .exit_code == 0 &&
         RunCommand(Bin("aegaeon") +
                    " model dummy --preset qwen2-0.5b --dim 128 --hidden-dim 384 --layers 2 "
                    "--heads 4 --kv-heads 2 --vocab 1024 --context 512 --type f16 --output " +
                    d + "/small.gguf")
                 .exit_code == 0;
}

// Applies 1 to `max_edits` random edits to `s`: a byte replaced or inserted (from `alphabet`) or
// up to `max_erase` bytes erased, at a position `pick` chooses in the current string.
void Mutate(std::string* s, std::mt19937& rng, const std::string& alphabet, int max_edits,
            size_t max_erase, const std::function<size_t(const std::string&)>& pick) {
  const int edits = 1 + static_cast<int>(rng() % static_cast<unsigned>(max_edits));
  for (int e = 0; e < edits && !s->empty(); ++e) {
    const size_t at = pick(*s);
    switch (rng() % 3) {
      case 0:
        (*s)[at] = alphabet[rng() % alphabet.size()];
        break;
      case 1:
        s->erase(at, 1 + rng() % max_erase);
        break;
      default:
        s->insert(at, 1, alphabet[rng() % alphabet.size()]);
    }
  }
}

class ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!HaveShared()) return;
    ASSERT_TRUE(MakeModels());
    server_ = new ServerProcess();
    std::vector<std::string> args = ModelArgs();
    // tiny: its own loose SLOs; small: SLOs no request can meet.
    args.insert(args.end(), {"--api-key", kKey, "--slo", "tiny=60,5", "--slo", "small=1e-6,1e-6"});
    ASSERT_TRUE(server_->Start(args, Dir())) << server_->log();
  }
  static void TearDownTestSuite() {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0) << server_->log();
    }
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    LLMS_REQUIRE_SHARED();
    ASSERT_NE(server_, nullptr);
  }
  static HttpReply Post(const std::string& path, const std::string& body,
                        const std::string& key = kKey) {
    return HttpCall(server_->port(), "POST", path, body, key);
  }
  static std::string Metrics() { return HttpCall(server_->port(), "GET", "/metrics").body; }
  // Polls /metrics (up to 10 s) until no request holds KV and more requests were cancelled than
  // `cancelled_before`; returns the last metrics text.
  static std::string WaitUntilCancelled(double cancelled_before) {
    std::string m;
    for (int i = 0; i < 200; ++i) {
      m = Metrics();
      if (Metric(m, "aegaeon_kv_sequences") == 0 &&
          Metric(m, "aegaeon_requests_total", "outcome=\"cancelled\"") > cancelled_before) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return m;
  }
  static inline ServerProcess* server_ = nullptr;
};

TEST_F(ServeTest, ListsTheThreeModels) {
  const HttpReply r = HttpCall(server_->port(), "GET", "/v1/models", "", kKey);
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = json::parse(r.body);
  std::vector<std::string> ids;
  for (const json& m : j["data"]) ids.push_back(m["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{"stories", "tiny", "small"}));
  EXPECT_EQ(j["data"][0]["max_model_len"], 512);
  EXPECT_EQ(HttpCall(server_->port(), "GET", "/health").status, 200);
}

TEST_F(ServeTest, ModelsHaveTheirOwnSlos) {
  const std::string before = Metrics();
  EXPECT_EQ(Metric(before, "aegaeon_model_slo_seconds", R"(model="tiny",target="tpot")"), 5);
  EXPECT_EQ(Metric(before, "aegaeon_model_slo_seconds", R"(model="tiny",target="ttft")"), 60);
  // stories has none of its own: the deployment's defaults.
  EXPECT_EQ(Metric(before, "aegaeon_model_slo_seconds", R"(model="stories",target="tpot")"), 0.2);
  for (const char* model : {"tiny", "small"}) {
    const HttpReply r = Post("/v1/completions", fmt::format(R"({{"model":"{}","prompt":"hi",
        "max_tokens":6,"ignore_eos":true}})",
                                                            model));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  const std::string after = Metrics();
  auto met = [](const std::string& m, const char* model) {
    return Metric(m, "aegaeon_requests_met_slo_total", fmt::format(R"(model="{}")", model));
  };
  EXPECT_EQ(met(after, "tiny") - met(before, "tiny"), 1);    // judged by 60 s / 5 s
  EXPECT_EQ(met(after, "small") - met(before, "small"), 0);  // judged by 1 us
}

TEST_F(ServeTest, GreedyCompletionMatchesTheGoldenText) {
  const HttpReply r = Post("/v1/completions",
                           R"({"model":"stories","prompt":"Once upon a time","max_tokens":100,
                               "temperature":0})");
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = json::parse(r.body);
  std::string golden = ReadFile(SharedDir() + "/models/stories260K/golden-once-upon-a-time-64.txt");
  while (!golden.empty() && std::isspace(static_cast<unsigned char>(golden.back()))) {
    golden.pop_back();
  }
  const std::string text = "Once upon a time" + j["choices"][0]["text"].get<std::string>();
  EXPECT_EQ(text.substr(0, golden.size()), golden);
  EXPECT_EQ(j["usage"]["completion_tokens"], 100);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
}

TEST_F(ServeTest, StreamedChatArrivesAsSseChunks) {
  HttpStream s;
  ASSERT_TRUE(
      s.Open(server_->port(), "/v1/chat/completions",
             R"({"model":"stories","messages":[{"role":"user","content":"Once upon a time"}],
                         "max_tokens":20,"temperature":0,"stream":true,
                         "stream_options":{"include_usage":true}})",
             kKey));
  ASSERT_EQ(s.status, 200);
  const std::string all = s.ReadAll();
  std::vector<json> events;
  std::string content;
  bool done = false;
  size_t pos = 0, next;
  while ((next = all.find("\n\n", pos)) != std::string::npos) {
    const std::string ev = all.substr(pos, next - pos);
    pos = next + 2;
    ASSERT_EQ(ev.rfind("data: ", 0), 0u) << ev;
    if (ev == "data: [DONE]") {
      done = true;
      continue;
    }
    events.push_back(json::parse(ev.substr(6)));
    const json& e = events.back();
    EXPECT_EQ(e["object"], "chat.completion.chunk");
    if (!e["choices"].empty() && e["choices"][0]["delta"].contains("content")) {
      content += e["choices"][0]["delta"]["content"].get<std::string>();
    }
  }
  EXPECT_TRUE(done);
  EXPECT_GE(events.size(), 5u);  // many chunks, not one body
  EXPECT_EQ(events.front()["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(content.rfind(", there was", 0), 0u) << content;
  EXPECT_EQ(events.back()["usage"]["completion_tokens"], 20);
}

TEST_F(ServeTest, ErrorsHaveTheStatusAnOpenAiClientExpects) {
  struct Case {
    std::string body, key;
    int status;
    std::string param_or_code;
  };
  const std::vector<Case> cases{
      {"{not json", kKey, 400, ""},
      {R"({"model":"stories","prompt":"x","max_tokens":"ten"})", kKey, 400, "max_tokens"},
      {R"({"model":"stories","prompt":"x","temperature":-1})", kKey, 400, "temperature"},
      {R"({"model":"stories"})", kKey, 400, "prompt"},
      {R"({"model":"gpt-9","prompt":"x"})", kKey, 404, "model_not_found"},
      {R"({"model":"stories","prompt":"x","max_tokens":600})", kKey, 400,
       "context_length_exceeded"},
      {R"({"model":"stories","prompt":[1,2,99999]})", kKey, 400, "prompt"},
      {R"({"model":"stories","prompt":"x"})", "", 401, "invalid_api_key"},
      {R"({"model":"stories","prompt":"x"})", "wrong", 401, "invalid_api_key"},
  };
  for (const Case& c : cases) {
    const HttpReply r = Post("/v1/completions", c.body, c.key);
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    const json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << r.body;
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
    EXPECT_TRUE(j["error"]["type"].is_string());
    if (!c.param_or_code.empty()) {
      EXPECT_TRUE(j["error"]["param"] == c.param_or_code || j["error"]["code"] == c.param_or_code)
          << r.body;
    }
  }
  // A prompt beyond the context: 400 with context_length_exceeded.
  std::string long_prompt;
  for (int i = 0; i < 600; ++i) long_prompt += " Once";
  const HttpReply r =
      Post("/v1/completions", json{{"model", "stories"}, {"prompt", long_prompt}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("context_length_exceeded"), std::string::npos) << r.body;
  EXPECT_EQ(HttpCall(server_->port(), "GET", "/v1/completions", "", kKey).status, 405);
  EXPECT_EQ(HttpCall(server_->port(), "GET", "/nowhere").status, 404);
  EXPECT_EQ(HttpCall(server_->port(), "GET", "/v1/models/nope", "", kKey).status, 404);
}

TEST_F(ServeTest, RandomBodiesGetOnly4xx) {
  const std::vector<std::string> seeds{
      R"({"model":"stories","prompt":"Once","max_tokens":2})",
      R"({"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":2,"stream":true})",
      R"({"model":"small","prompt":[1,2,3],"stop":["a"],"top_p":0.5,"seed":3,"max_tokens":2})"};
  std::mt19937 rng(7);
  const std::string alphabet = "{}[]\":,0123456789.-eE truefalsnul\\\x01\xff";
  int ok = 0;
  for (int i = 0; i < 300; ++i) {
    std::string body = seeds[rng() % seeds.size()];
    Mutate(&body, rng, alphabet, 4, 8, [&](const std::string& b) { return rng() % b.size(); });
    const std::string path = rng() % 2 ? "/v1/completions" : "/v1/chat/completions";
    const HttpReply r = Post(path, body);
    ASSERT_TRUE(r.status == 200 || (r.status >= 400 && r.status < 500))
        << path << " " << body << " -> " << r.status << " " << r.body;
    if (r.status >= 400) {
      const json j = json::parse(r.body, nullptr, false);
      ASSERT_TRUE(j.is_object() && j.contains("error")) << r.body;
    } else {
      ++ok;
    }
  }
  EXPECT_GT(ok, 0);  // some mutations stay valid: the server still serves
  EXPECT_EQ(HttpCall(server_->port(), "GET", "/health").status, 200);
}

// Malformed HTTP itself, over raw sockets: mutated request lines, headers, lengths and chunked
// bodies. Each gets a 4xx answer (or, when the request never completes, a closed connection),
// never a 5xx, and the server keeps serving.
TEST_F(ServeTest, MalformedHttpGetsOnly4xxAndTheServerKeepsServing) {
  namespace net = boost::asio;
  const std::string body = R"({"model":"stories","prompt":"Once","max_tokens":2})";
  const std::vector<std::string> seeds{
      fmt::format("POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n"
                  "Content-Type: application/json\r\nContent-Length: {}\r\nConnection: "
                  "close\r\n\r\n{}",
                  kKey, body.size(), body),
      fmt::format("POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n"
                  "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{}\r\n0"
                  "\r\n\r\n",
                  kKey, body.size(), body),
      "GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"};
  std::mt19937 rng(11);
  const char kAlphabet[] = " \r\n:/GETPOST1.HTTP-x0123456789abcdef\x00\x7f\xff";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);  // the NUL byte included
  int answered = 0;
  for (int i = 0; i < 200; ++i) {
    std::string req = seeds[rng() % seeds.size()];
    Mutate(&req, rng, alphabet, 3, 6, [&](const std::string& r) {
      // Mostly in the head (request line and headers), where HTTP parsing happens.
      size_t head = r.find("\r\n\r\n");
      if (head == std::string::npos || head == 0) head = r.size();
      return rng() % (rng() % 4 ? head : r.size());
    });
    net::io_context io;
    net::ip::tcp::socket socket(io);
    socket.connect(LoopbackEndpoint(server_->port()));
    boost::system::error_code ec;
    net::write(socket, net::buffer(req), ec);
    // Half-close: a request that says it is longer than what was sent ends here.
    socket.shutdown(net::ip::tcp::socket::shutdown_send, ec);
    std::string reply;
    char buf[4096];
    for (;;) {
      // A bound on every wait: a server that neither answers nor closes fails the test.
      pollfd p{socket.native_handle(), POLLIN, 0};
      ASSERT_EQ(::poll(&p, 1, 10000), 1) << "no answer and no close within 10 s: " << req;
      const size_t n = socket.read_some(net::buffer(buf), ec);
      reply.append(buf, n);
      if (ec) break;
    }
    if (reply.empty()) continue;  // closed without an answer (an incomplete request)
    ++answered;
    ASSERT_EQ(reply.rfind("HTTP/1.1 ", 0), 0u) << req << " -> " << reply;
    const int status = std::atoi(reply.c_str() + 9);
    ASSERT_TRUE((status >= 200 && status < 300) || (status >= 400 && status < 500))
        << req << " -> " << reply.substr(0, 300);
  }
  EXPECT_GT(answered, 50);
  EXPECT_EQ(HttpCall(server_->port(), "GET", "/health").status, 200);
  EXPECT_EQ(Post("/v1/completions", body).status, 200);
}

TEST_F(ServeTest, ADisconnectCancelsTheRequestAndFreesItsKv) {
  const std::string before = Metrics();
  const double cancelled_before = Metric(before, "aegaeon_requests_total", "cancelled");
  HttpStream s;
  ASSERT_TRUE(s.Open(server_->port(), "/v1/completions",
                     R"({"model":"tiny","prompt":"hello","max_tokens":2000,"ignore_eos":true,
                         "stream":true})",
                     kKey));
  ASSERT_EQ(s.status, 200);
  ASSERT_FALSE(s.Next().empty());  // it is generating
  EXPECT_GE(Metric(Metrics(), "aegaeon_kv_sequences"), 1.0);
  s.Close();
  const std::string m = WaitUntilCancelled(cancelled_before);
  EXPECT_EQ(Metric(m, "aegaeon_kv_sequences"), 0.0) << m;
  EXPECT_EQ(Metric(m, "aegaeon_instance_kv_blocks_used"), 0.0) << m;
  EXPECT_EQ(Metric(m, "aegaeon_host_kv_bytes"), 0.0) << m;
  EXPECT_NE(m.find("aegaeon_host_kv_fragmentation "), std::string::npos) << m;
  EXPECT_EQ(Metric(m, "aegaeon_requests_total", "outcome=\"cancelled\""), cancelled_before + 1);
  // It stopped early: far fewer than the 2000 tokens asked for were produced.
  EXPECT_LT(Metric(m, "aegaeon_generation_tokens_total", "tiny") -
                Metric(before, "aegaeon_generation_tokens_total", "tiny"),
            2000);
}

// A client that gives up on a non-streamed request (no byte of the answer sent yet) cancels it
// too: the server notices the closed connection while generating.
TEST_F(ServeTest, ADisconnectDuringANonStreamedRequestCancelsIt) {
  const double cancelled_before =
      Metric(Metrics(), "aegaeon_requests_total", "outcome=\"cancelled\"");
  {
    namespace net = boost::asio;
    net::io_context io;
    net::ip::tcp::socket socket(io);
    socket.connect(LoopbackEndpoint(server_->port()));
    const std::string body =
        R"({"model":"tiny","prompt":"hello","max_tokens":2000,"ignore_eos":true})";
    const std::string request = fmt::format(
        "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n"
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        kKey, body.size(), body);
    net::write(socket, net::buffer(request));
    // Wait until it is generating, then hang up.
    for (int i = 0; i < 200 && Metric(Metrics(), "aegaeon_kv_sequences") < 1; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_GE(Metric(Metrics(), "aegaeon_kv_sequences"), 1.0);
  }
  const std::string m = WaitUntilCancelled(cancelled_before);
  EXPECT_EQ(Metric(m, "aegaeon_requests_total", "outcome=\"cancelled\""), cancelled_before + 1)
      << m;
  EXPECT_EQ(Metric(m, "aegaeon_instance_kv_blocks_used"), 0.0) << m;
}

// stop, seed and top_p reach the sampler: a stop string ends the text before it with
// finish_reason "stop"; the same seed gives the same text, another seed (almost surely) another.
TEST_F(ServeTest, StopSeedAndTopPTakeEffect) {
  const HttpReply full = Post("/v1/completions",
                              R"({"model":"stories","prompt":"Once upon a time","max_tokens":60,
                                  "temperature":0})");
  ASSERT_EQ(full.status, 200) << full.body;
  const std::string text = json::parse(full.body)["choices"][0]["text"];
  ASSERT_NE(text.find("girl"), std::string::npos) << text;
  const HttpReply stopped = Post("/v1/completions",
                                 R"({"model":"stories","prompt":"Once upon a time","max_tokens":60,
                                     "temperature":0,"stop":["girl"]})");
  ASSERT_EQ(stopped.status, 200) << stopped.body;
  const json s = json::parse(stopped.body);
  EXPECT_EQ(s["choices"][0]["text"], text.substr(0, text.find("girl")));
  EXPECT_EQ(s["choices"][0]["finish_reason"], "stop");
  auto sample = [&](int seed) {
    const HttpReply r = Post("/v1/completions", json{{"model", "stories"},
                                                     {"prompt", "Once upon a time"},
                                                     {"max_tokens", 40},
                                                     {"temperature", 1.0},
                                                     {"top_p", 0.9},
                                                     {"seed", seed}}
                                                    .dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? json::parse(r.body)["choices"][0]["text"].get<std::string>()
                           : std::string();
  };
  const std::string a = sample(42);
  EXPECT_EQ(sample(42), a);
  EXPECT_NE(sample(43), a);
  EXPECT_NE(a, text.substr(0, a.size()));  // sampled, not greedy
}

// Logprobs come from the model: greedy picks each step's most likely token, every logprob is a
// log-probability, the tokens' texts make up the completion; streamed chunks carry their own.
// A logit bias against greedy's first token changes the text; a strong frequency penalty too.
TEST_F(ServeTest, LogprobsPenaltiesAndBiasTakeEffect) {
  const HttpReply r = Post("/v1/completions",
                           R"({"model":"stories","prompt":"Once upon a time","max_tokens":12,
                               "temperature":0,"logprobs":3})");
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = json::parse(r.body);
  const json& lp = j["choices"][0]["logprobs"];
  ASSERT_EQ(lp["tokens"].size(), 12u) << r.body;
  std::string joined;
  for (size_t k = 0; k < 12; ++k) {
    const float chosen = lp["token_logprobs"][k];
    EXPECT_LE(chosen, 0.0f);
    ASSERT_EQ(lp["top_logprobs"][k].size(), 3u);
    float best = -1e9f;
    for (const auto& [tok, v] : lp["top_logprobs"][k].items())
      best = std::max(best, v.get<float>());
    EXPECT_FLOAT_EQ(best, chosen) << k;  // greedy takes the most likely
    joined += lp["tokens"][k].get<std::string>();
  }
  EXPECT_EQ(joined, j["choices"][0]["text"]);
  HttpStream st;
  ASSERT_TRUE(st.Open(server_->port(), "/v1/chat/completions",
                      R"({"model":"stories","messages":[{"role":"user","content":"Once"}],
                          "max_tokens":5,"stream":true,"logprobs":true,"top_logprobs":2,
                          "ignore_eos":true})",
                      kKey));
  const std::string events = st.ReadAll();
  size_t entries = 0;
  for (size_t at = 0; (at = events.find("data: {", at)) != std::string::npos; ++at) {
    const json e = json::parse(events.substr(at + 6, events.find("\n\n", at) - at - 6));
    if (e["choices"].empty() || !e["choices"][0].contains("logprobs") ||
        e["choices"][0]["logprobs"].is_null()) {
      continue;
    }
    for (const json& c : e["choices"][0]["logprobs"]["content"]) {
      EXPECT_EQ(c["top_logprobs"].size(), 2u);
      ++entries;
    }
  }
  EXPECT_EQ(entries, 5u) << events;
  auto text_with = [&](const json& extra) {
    json body = {{"model", "stories"},
                 {"prompt", "Once upon a time"},
                 {"max_tokens", 60},
                 {"temperature", 0}};
    body.update(extra);
    const HttpReply x = Post("/v1/completions", body.dump());
    EXPECT_EQ(x.status, 200) << x.body;
    return x.status == 200 ? json::parse(x.body)["choices"][0]["text"].get<std::string>() : "";
  };
  const std::string plain = text_with(json::object());
  EXPECT_NE(text_with({{"frequency_penalty", 2.0}}), plain);  // 60 tokens repeat some
  EXPECT_NE(text_with({{"logit_bias", {{"13", 100}}}}), plain);
}

// The body limit (--max-body-mb, max_body_mb): a larger body gets 413 with an OpenAI error object,
// an empty prompt and a user message without content 400.
TEST_F(ServeTest, OversizedBodiesAndEmptyPromptsAreRejected) {
  const std::string big = json{{"model", "stories"}, {"prompt", std::string(9 << 20, 'a')}}.dump();
  const HttpReply r = Post("/v1/completions", big);
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 200);
  EXPECT_NE(r.body.find("\"error\""), std::string::npos) << r.body.substr(0, 200);
  const HttpReply empty = Post("/v1/completions", R"({"model":"stories","prompt":""})");
  EXPECT_EQ(empty.status, 400) << empty.body;
  const HttpReply no_content =
      Post("/v1/chat/completions", R"({"model":"stories","messages":[{"role":"user"}]})");
  EXPECT_EQ(no_content.status, 400) << no_content.body;
  EXPECT_NE(no_content.body.find("messages[0].content"), std::string::npos) << no_content.body;
  EXPECT_EQ(HttpCall(server_->port(), "GET", "/health").status, 200);
}

// A chat completion is rendered with the chat template the GGUF carries (tiny: ChatML), or joined
// by newlines when the file has none (stories): the prompt a chat request counts is exactly the
// rendered text's, sent as a plain completion.
TEST_F(ServeTest, ChatUsesTheTemplateFromTheModelFile) {
  EXPECT_NE(server_->log().find("model tiny: chat template chatml (from the file)"),
            std::string::npos)
      << server_->log();
  EXPECT_NE(server_->log().find("model stories: chat template none recognised"), std::string::npos)
      << server_->log();
  auto prompt_tokens = [&](const std::string& path, const json& body) {
    const HttpReply r = Post(path, body.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? json::parse(r.body)["usage"]["prompt_tokens"].get<int>() : -1;
  };
  const json messages = json::array({{{"role", "system"}, {"content", "Be brief."}},
                                     {{"role", "user"}, {"content", "Hi there"}}});
  const int chat = prompt_tokens("/v1/chat/completions",
                                 {{"model", "tiny"}, {"messages", messages}, {"max_tokens", 1}});
  const std::string chatml =
      "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n"
      "<|im_start|>assistant\n";
  EXPECT_EQ(chat, prompt_tokens("/v1/completions",
                                {{"model", "tiny"}, {"prompt", chatml}, {"max_tokens", 1}}));
  EXPECT_NE(chat, prompt_tokens(
                      "/v1/completions",
                      {{"model", "tiny"}, {"prompt", "Be brief.\nHi there"}, {"max_tokens", 1}}));
  // stories: the fallback, the contents joined by a newline.
  EXPECT_EQ(
      prompt_tokens("/v1/chat/completions",
                    {{"model", "stories"}, {"messages", messages}, {"max_tokens", 1}}),
      prompt_tokens("/v1/completions",
                    {{"model", "stories"}, {"prompt", "Be brief.\nHi there"}, {"max_tokens", 1}}));
}

// min_p and repeat_last_n reach the sampler: min_p 1 keeps only the most likely token, so a
// sampled completion equals the greedy one; a repetition penalty over the whole context
// (repeat_last_n -1) changes the trained model's greedy story, over an empty window (0) it does
// not.
TEST_F(ServeTest, MinPAndRepeatLastNReachTheSampler) {
  auto text = [&](const json& extra) {
    json body = {{"model", "stories"}, {"prompt", "Once upon a time"}, {"max_tokens", 40}};
    body.update(extra);
    const HttpReply r = Post("/v1/completions", body.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? json::parse(r.body)["choices"][0]["text"].get<std::string>() : "";
  };
  const std::string greedy = text({{"temperature", 0}});
  ASSERT_FALSE(greedy.empty());
  EXPECT_EQ(text({{"temperature", 1.0}, {"min_p", 1.0}, {"seed", 5}}), greedy);
  EXPECT_NE(text({{"temperature", 1.0}, {"seed", 5}}), greedy);
  EXPECT_EQ(text({{"temperature", 0}, {"repetition_penalty", 1.5}, {"repeat_last_n", 0}}), greedy);
  EXPECT_NE(text({{"temperature", 0}, {"repetition_penalty", 1.5}, {"repeat_last_n", -1}}), greedy);
}

TEST_F(ServeTest, TheOfficialOpenAiNpmClientWorks) {
  const std::string client = std::string(LLMS_SOURCE_DIR) + "/tests/openai_client";
  if (!fs::exists(client + "/node_modules/openai")) {
    GTEST_SKIP()
        << "tests/openai_client/node_modules is absent: scripts/setup.sh runs npm ci there";
  }
  const CommandResult r = RunCommand("node " + client + "/check.mjs http://127.0.0.1:" +
                                     std::to_string(server_->port()) + "/v1 " + kKey);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok: 3 models"), std::string::npos) << r.out << r.err;
}

TEST_F(ServeTest, PromtoolAcceptsTheMetrics) {
  if (RunCommand("command -v promtool").exit_code != 0) {
    GTEST_SKIP() << "promtool is absent: scripts/setup.sh installs it (Debian's prometheus)";
  }
  const std::string path = Dir() + "/metrics.txt";
  std::ofstream(path) << Metrics();
  const CommandResult r = RunCommand("promtool check metrics < " + path);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string m = Metrics();
  // Every sample follows its own family's HELP/TYPE lines (a scraper rejects interleaving).
  std::istringstream in(m);
  std::string line, family;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      family = line.substr(7, line.find(' ', 7) - 7);
    } else if (!line.empty() && line[0] != '#') {
      EXPECT_EQ(line.rfind(family, 0), 0u) << line << " after the family " << family;
    }
  }
  for (const char* name :
       {"aegaeon_requests_waiting", "aegaeon_switches_total", "aegaeon_instance_resident_model",
        "aegaeon_instance_kv_blocks_used", "aegaeon_time_to_first_token_seconds_bucket",
        "aegaeon_time_between_tokens_seconds_bucket"}) {
    EXPECT_NE(m.find(name), std::string::npos) << name;
  }
}

TEST_F(ServeTest, BenchReplaysAServegenWorkloadAndCountsAgreeWithTheServer) {
  const std::string trace = Dir() + "/w.jsonl", result = Dir() + "/r.json";
  CommandResult g = RunCommand(Bin("servegen") +
                               " generate --preset language --duration 20 --rate 1 --seed 3 "
                               "--output " +
                               trace);
  ASSERT_EQ(g.exit_code, 0) << g.err;
  const std::string before = Metrics();
  const CommandResult b = RunCommand(
      Bin("aegaeon") + " bench --endpoint http://127.0.0.1:" + std::to_string(server_->port()) +
      " --workload " + trace + " --model stories --model tiny --model small --time-scale 2" +
      " --api-key " + kKey + " --max-output 64 --slo small=1e-6,1e-6 --output " + result +
      " --html " + Dir() + "/r.html");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const json r = json::parse(ReadFile(result));
  const std::string after = Metrics();
  const int64_t requests = r["requests"];
  EXPECT_GE(requests, 8);
  EXPECT_EQ(r["completed"], requests) << b.err;
  EXPECT_EQ(r["failed"], 0);
  for (const char* k : {"ttft_s", "tpot_s"}) {
    for (const char* p : {"p50", "p90", "p99"}) EXPECT_GT(r[k][p].get<double>(), 0) << k << p;
  }
  EXPECT_GT(r["slo_attainment"].get<double>(), 0);
  EXPECT_TRUE(r.contains("conventional_attainment"));
  // small is judged by its own (impossible) SLO, the others by the defaults.
  EXPECT_EQ(r["per_model"]["small"]["slo"]["tpot_s"].get<double>(), 1e-6);
  EXPECT_EQ(r["per_model"]["stories"]["slo"]["tpot_s"].get<double>(), 0.1);
  EXPECT_GT(r["per_model"]["small"]["completed"].get<int>(), 0);
  EXPECT_EQ(r["per_model"]["small"]["conventional_attainment"].get<double>(), 0);
  // The server saw exactly what the client measured.
  EXPECT_EQ(Metric(after, "aegaeon_requests_total", "outcome=\"completed\"") -
                Metric(before, "aegaeon_requests_total", "outcome=\"completed\""),
            static_cast<double>(requests));
  EXPECT_EQ(Metric(after, "aegaeon_generation_tokens_total") -
                Metric(before, "aegaeon_generation_tokens_total"),
            r["output_tokens"].get<double>());
  EXPECT_NE(ReadFile(Dir() + "/r.html").find("<svg"), std::string::npos);
  // Saved results side by side.
  const CommandResult c = RunCommand(Bin("aegaeon") + " bench --compare " + result + " " + result);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("completed"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("goodput"), std::string::npos) << c.out;
}

// The other ways to drive the benchmark: servegen options instead of a file, at a fixed Poisson
// rate, and closed loop at a fixed concurrency.
TEST_F(ServeTest, BenchDrivesAPresetAtAFixedRateAndAtAFixedConcurrency) {
  const std::string base =
      Bin("aegaeon") + " bench --endpoint http://127.0.0.1:" + std::to_string(server_->port()) +
      " --api-key " + kKey + " --preset language --duration 30 --preset-rate 1 --seed 5" +
      " --model tiny --model stories --max-output 8 --limit 12";
  for (const std::string mode : {"--rate 20", "--concurrency 3"}) {
    SCOPED_TRACE(mode);
    const std::string result = Dir() + "/mode.json";
    const CommandResult b = RunCommand(base + " " + mode + " --output " + result);
    ASSERT_EQ(b.exit_code, 0) << b.err;
    const json r = json::parse(ReadFile(result));
    EXPECT_EQ(r["requests"], 12);
    EXPECT_EQ(r["completed"], 12) << b.err;
    EXPECT_EQ(r["failed"], 0);
  }
}

// Conversations replayed closed loop through chat: each later turn is sent after the previous
// reply ended plus its think time (divided by the speed) and carries the earlier turns, replies
// included, so the server counts a longer prompt; SLO classes are scored per class.
TEST_F(ServeTest, BenchReplaysConversationsClosedLoopWithTheirHistoryAndScoresSloClasses) {
  const std::string trace = Dir() + "/conv.jsonl", result = Dir() + "/conv.json";
  const CommandResult g = RunCommand(
      Bin("servegen") +
      " generate --preset language --duration 300 --rate 2 --seed 4 "
      "--slo-class strict:0.001:0.001:30% --slo-class loose:60000:5000 --reply-rate 1000 -o " +
      trace + " -q");
  ASSERT_EQ(g.exit_code, 0) << g.err;
  const CommandResult b = RunCommand(
      Bin("aegaeon") + " bench --endpoint http://127.0.0.1:" + std::to_string(server_->port()) +
      " --api-key " + kKey + " --workload " + trace +
      " --model stories --api chat --speed 20 --limit 60 --max-input 40 --max-output 6"
      " --save-requests"
      " --output " +
      result);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const json r = json::parse(ReadFile(result));
  EXPECT_EQ(r["completed"], r["requests"]) << b.err;
  EXPECT_NE(r["mode"].get<std::string>().find("conversations closed loop"), std::string::npos);
  // Read the trace back to pair each later turn with its previous one.
  std::vector<json> lines;
  {
    std::istringstream in(ReadFile(trace));
    std::string line;
    while (std::getline(in, line) && lines.size() < 60) lines.push_back(json::parse(line));
  }
  const json& reqs = r["per_request"];
  ASSERT_EQ(reqs.size(), lines.size());
  std::map<int64_t, size_t> last;
  int later = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const int64_t session = lines[i]["session_id"];
    auto it = last.find(session);
    if (it != last.end()) {
      const json& prev = reqs[it->second];
      const json& cur = reqs[i];
      ++later;
      const double think = lines[i]["think_time_ms"].get<double>() / 1e3 / 20;
      // Sent no earlier than the previous reply's end plus the think time.
      EXPECT_GE(cur["sent_s"].get<double>() + 1e-3, prev["end_s"].get<double>() + think) << i;
      // Its prompt holds the previous prompt and reply: the server counts more tokens.
      EXPECT_GT(cur["prompt_tokens"].get<int>(),
                prev["prompt_tokens"].get<int>() + prev["output_tokens"].get<int>() - 1)
          << i;
    }
    last[session] = i;
  }
  EXPECT_GE(later, 3) << "the trace should hold conversations";
  // Per class: strict (impossible: 1 us TTFT) scores 0, loose everything.
  ASSERT_TRUE(r.contains("per_slo_class"));
  const json& strict = r["per_slo_class"]["strict"];
  const json& loose = r["per_slo_class"]["loose"];
  EXPECT_GT(strict["completed"].get<int>(), 0);
  EXPECT_GT(loose["completed"].get<int>(), 0);
  EXPECT_EQ(strict["conventional_attainment"].get<double>(), 0.0);
  EXPECT_EQ(loose["conventional_attainment"].get<double>(), 1.0);
  EXPECT_EQ(strict["completed"].get<int>() + loose["completed"].get<int>(),
            r["completed"].get<int>());
}

// A conversation whose history outgrows the model's context: the turn that no longer fits gets
// the server's error, and the turns after it are recorded as failed without being sent; every
// request of the trace is accounted for.
TEST_F(ServeTest, BenchEndsAConversationWhoseTurnFailsAndCountsTheRest) {
  const std::string trace = Dir() + "/overflow.jsonl", result = Dir() + "/overflow.json";
  {
    std::ofstream f(trace);
    for (int t = 0; t < 6; ++t) {
      f << "{\"timestamp\":" << 10 * t << ",\"input_length\":" << 30 + 230 * t
        << ",\"output_length\":200,\"session_id\":1,\"turn\":" << t
        << (t ? ",\"think_time_ms\":10" : "") << "}\n";
    }
  }
  const CommandResult b = RunCommand(
      Bin("aegaeon") + " bench --endpoint http://127.0.0.1:" + std::to_string(server_->port()) +
      " --api-key " + kKey + " --workload " + trace +
      " --model stories --api chat --save-requests --output " + result);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const json r = json::parse(ReadFile(result));
  EXPECT_EQ(r["requests"], 6);
  EXPECT_EQ(r["completed"].get<int>() + r["failed"].get<int>(), 6);
  EXPECT_GE(r["completed"].get<int>(), 1);
  ASSERT_TRUE(r["errors"].contains("not sent")) << r.dump();
  const json& reqs = r["per_request"];
  bool failed_before = false;
  for (const json& q : reqs) {
    const bool not_sent =
        q.contains("error") && q["error"].get<std::string>().rfind("not sent", 0) == 0;
    if (not_sent) {
      EXPECT_TRUE(failed_before);
      EXPECT_LT(q["sent_s"].get<double>(), 0);
    }
    failed_before = failed_before || q.contains("error");
  }
}

// A 1,500-token stream on tiny that keeps the server busy; true once its first token came.
bool OpenBusyStream(int port, HttpStream* s) {
  return s->Open(port, "/v1/completions",
                 R"({"model":"tiny","prompt":"hello","max_tokens":1500,"ignore_eos":true,
                     "stream":true})") &&
         !s->Next().empty();
}

// Its own servers: overload limits and SIGTERM end them.
TEST(ServeLimitsTest, OverloadGets503WithRetryAfter) {
  LLMS_REQUIRE_SHARED();
  ASSERT_TRUE(MakeModels());
  ServerProcess server;
  std::vector<std::string> args = ModelArgs();
  args.insert(args.end(), {"--max-in-flight", "1"});
  ASSERT_TRUE(server.Start(args, Dir())) << server.log();
  HttpStream s;
  ASSERT_TRUE(OpenBusyStream(server.port(), &s));
  const HttpReply r = HttpCall(server.port(), "POST", "/v1/completions",
                               R"({"model":"stories","prompt":"Once","max_tokens":4})");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.headers.count("Retry-After") ? r.headers.at("Retry-After") : "", "1");
  EXPECT_NE(r.body.find("max-in-flight"), std::string::npos) << r.body;
  s.Close();
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

TEST(ServeLimitsTest, AFullModelQueueGets429WithRetryAfterAndTheQueuedRequestCompletes) {
  LLMS_REQUIRE_SHARED();
  ASSERT_TRUE(MakeModels());
  ServerProcess server;
  // One instance, request-level: while tiny holds it, stories requests wait in a queue of one.
  std::vector<std::string> args = ModelArgs();
  args.insert(args.end(), {"--policy", "request-level", "--instances", "1", "--max-queue", "1"});
  ASSERT_TRUE(server.Start(args, Dir())) << server.log();
  HttpStream s;
  ASSERT_TRUE(OpenBusyStream(server.port(), &s));
  HttpReply queued;
  std::thread waiter([&] {
    queued = HttpCall(server.port(), "POST", "/v1/completions",
                      R"({"model":"stories","prompt":"Once","max_tokens":4})");
  });
  auto metrics = [&] { return HttpCall(server.port(), "GET", "/metrics").body; };
  for (int i = 0;
       i < 200 && Metric(metrics(), "aegaeon_requests_waiting", R"(model="stories")") < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const HttpReply r = HttpCall(server.port(), "POST", "/v1/completions",
                               R"({"model":"stories","prompt":"Once","max_tokens":4})");
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.headers.count("Retry-After") ? r.headers.at("Retry-After") : "", "1");
  EXPECT_NE(r.body.find("rate_limit_exceeded"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("queue of stories is full"), std::string::npos) << r.body;
  s.Close();  // tiny's request is cancelled, the instance goes to stories
  waiter.join();
  EXPECT_EQ(queued.status, 200) << queued.body;
  const std::string m = metrics();
  EXPECT_EQ(Metric(m, "aegaeon_rejected_total", R"(status="429")"), 1);
  EXPECT_EQ(Metric(m, "aegaeon_requests_total", R"(model="stories",outcome="completed")"), 1);
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

TEST(ServeLimitsTest, ARequestBeyondTheInstancesKvSpaceGets400) {
  LLMS_REQUIRE_SHARED();
  ServerProcess server;
  // stories260K's weights are ~1.0 MiB: 1.25 MiB leaves KV for about 200 tokens of its 512.
  const std::string st = SharedDir() + "/models/stories260K";
  ASSERT_TRUE(server.Start({"--model", "stories=" + st + "/stories260K.bin", "--tokenizer",
                            "stories=" + st + "/tok512.bin", "--instance-memory", "1.25"},
                           Dir()))
      << server.log();
  HttpReply r = HttpCall(server.port(), "POST", "/v1/completions",
                         R"({"model":"stories","prompt":"Once","max_tokens":400})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("context_length_exceeded"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("serves at most 208 tokens per request"), std::string::npos) << r.body;
  EXPECT_EQ(r.headers.count("Retry-After"), 0u);
  r = HttpCall(server.port(), "POST", "/v1/completions",
               R"({"model":"stories","prompt":"Once","max_tokens":50})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

TEST(ServeLimitsTest, SigtermDrainsInFlightRequestsAndRefusesNewOnes) {
  LLMS_REQUIRE_SHARED();
  ASSERT_TRUE(MakeModels());
  ServerProcess server;
  ASSERT_TRUE(server.Start(ModelArgs(), Dir())) << server.log();
  HttpStream s;
  ASSERT_TRUE(s.Open(server.port(), "/v1/completions",
                     R"({"model":"tiny","prompt":"hello","max_tokens":1000,"ignore_eos":true,
                         "stream":true,"stream_options":{"include_usage":true}})"));
  ASSERT_FALSE(s.Next().empty());
  server.Signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // New connections are refused once the listener closed (or answered 503 while it closes).
  const HttpReply refused = HttpCall(server.port(), "POST", "/v1/completions",
                                     R"({"model":"stories","prompt":"Once","max_tokens":4})");
  EXPECT_TRUE(refused.status == 0 || refused.status == 503) << refused.status;
  const std::string rest = s.ReadAll();
  EXPECT_NE(rest.find("\"completion_tokens\":1000"), std::string::npos);
  EXPECT_NE(rest.find("data: [DONE]"), std::string::npos);
  EXPECT_EQ(server.Wait(60), 0) << server.log();
  EXPECT_NE(server.log().find("drained"), std::string::npos) << server.log();
}

// A configuration file (docs/serve.md) with a model directory, a model entry with its own SLO and
// tokenizer, the policy and an API key; a flag given on the command line overrides its key.
TEST(ServeConfigEndToEndTest, AConfigFileServesItsModelsAndFlagsOverrideIt) {
  LLMS_REQUIRE_SHARED();
  ASSERT_TRUE(MakeModels());
  const std::string models = Dir() + "/config-models";
  fs::create_directories(models);
  for (const char* m : {"tiny.gguf", "small.gguf"}) {
    fs::copy_file(Dir() + "/" + m, models + "/" + m, fs::copy_options::overwrite_existing);
  }
  const std::string st = SharedDir() + "/models/stories260K";
  const std::string config = Dir() + "/serve.yaml";
  std::ofstream(config) << fmt::format(R"(policy: request-level
instances: 2
api_key: from-the-file
slo: {{ttft_s: 5, tpot_s: 0.5}}
models:
  - {{name: stories, file: {}/stories260K.bin, tokenizer: {}/tok512.bin, slo: {{ttft_s: 3}}}}
model_dir: {}
)",
                                       st, st, models);
  ServerProcess server;
  ASSERT_TRUE(server.Start({"--config", config, "--api-key", "from-the-flag"}, Dir()))
      << server.log();
  const HttpReply list = HttpCall(server.port(), "GET", "/v1/models", "", "from-the-flag");
  ASSERT_EQ(list.status, 200) << list.body;
  std::vector<std::string> ids;
  const json listed = json::parse(list.body);
  for (const auto& m : listed["data"]) ids.push_back(m["id"]);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"small", "stories", "tiny"}));
  EXPECT_EQ(HttpCall(server.port(), "GET", "/v1/models", "", "from-the-file").status, 401);
  const HttpReply r =
      HttpCall(server.port(), "POST", "/v1/completions",
               R"({"model":"stories","prompt":"Once upon a time","max_tokens":8,"temperature":0})",
               "from-the-flag");
  EXPECT_EQ(r.status, 200) << r.body;
  const std::string m = HttpCall(server.port(), "GET", "/metrics").body;
  // stories: its own TTFT, the file's TPOT; tiny: the file's.
  EXPECT_EQ(Metric(m, "aegaeon_model_slo_seconds", R"(model="stories",target="ttft")"), 3);
  EXPECT_EQ(Metric(m, "aegaeon_model_slo_seconds", R"(model="stories",target="tpot")"), 0.5);
  EXPECT_EQ(Metric(m, "aegaeon_model_slo_seconds", R"(model="tiny",target="ttft")"), 5);
  EXPECT_NE(server.log().find("policy request-level"), std::string::npos) << server.log();
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

}  // namespace
}  // namespace llms::testing
