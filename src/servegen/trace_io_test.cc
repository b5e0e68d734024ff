// Tests for trace writing and reading: round trips through JSONL and CSV, Mooncake and Azure
// traces, and a table of malformed logs with the error each gives.
#include <gtest/gtest.h>

#include <fstream>

#include "servegen/trace_reader.h"
#include "servegen/trace_writer.h"

namespace llms::servegen {
namespace {

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream f(path, std::ios::binary);
  f << text;
  return path;
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

RequestBatch SampleBatch() {
  RequestBatch b;
  Request a;
  a.timestamp = 1.2345678;
  a.client = 0;
  a.window = 0;
  a.input_tokens = 100;
  a.output_tokens = 20;
  Request c = a;
  c.timestamp = 2.5;
  c.client = 1;
  c.window = 1;
  c.input_tokens = 350;
  c.text_tokens = 50;
  c.image_count = 2;
  c.items_offset = 0;
  b.item_tokens = {100, 200};
  b.requests = {a, c};
  return b;
}

TEST(TraceIoTest, JsonlIsMooncakeCompatibleAndRoundTrips) {
  const std::string path = ::testing::TempDir() + "/t.jsonl";
  auto w = TraceWriter::Open(path, TraceFormat::kJsonl, Category::kMultimodal, {"alpha", "be\"ta"},
                             0, 600);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->Write(SampleBatch()).ok());
  ASSERT_TRUE(w->Close().ok());
  const std::string text = ReadAll(path);
  EXPECT_EQ(
      text.substr(0, text.find('\n')),
      "{\"timestamp\":1234.568,\"client_id\":\"alpha\",\"category\":\"multimodal\",\"window\":0,"
      "\"input_length\":100,\"output_length\":20,\"text_tokens\":-1,\"image_tokens\":[],\"audio_"
      "tokens\":[],"
      "\"video_tokens\":[]}");
  auto t = ReadTrace(path);
  ASSERT_TRUE(t.ok()) << t.message();
  ASSERT_EQ(t->batch.requests.size(), 2u);
  EXPECT_TRUE(t->has_client_ids);
  EXPECT_EQ(t->clients[1], "be\"ta");
  EXPECT_EQ(t->category, Category::kMultimodal);
  const Request& r = t->batch.requests[1];
  EXPECT_DOUBLE_EQ(r.timestamp, 2.5);
  EXPECT_EQ(r.input_tokens, 350);
  EXPECT_EQ(r.image_count, 2);
  EXPECT_EQ(t->batch.item_tokens[r.items_offset + 1], 200);
}

TEST(TraceIoTest, CsvRoundTrips) {
  const std::string path = ::testing::TempDir() + "/t.csv";
  auto w = TraceWriter::Open(path, TraceFormat::kCsv, Category::kLanguage, {"a,b", "c"}, 0, 600);
  ASSERT_TRUE(w->Write(SampleBatch()).ok());
  ASSERT_TRUE(w->Close().ok());
  auto t = ReadTrace(path);
  ASSERT_TRUE(t.ok()) << t.message();
  ASSERT_EQ(t->batch.requests.size(), 2u);
  EXPECT_EQ(t->clients[0], "a,b");
  EXPECT_NEAR(t->batch.requests[0].timestamp, 1.234568, 1e-9);
  EXPECT_EQ(t->batch.requests[1].output_tokens, 20);
}

// Conversations, hash_ids and SLO classes go out and come back in both formats.
TEST(TraceIoTest, ConversationsHashIdsAndSloClassesRoundTrip) {
  RequestBatch b;
  Request a;
  a.timestamp = 1.0;
  a.input_tokens = 1100;
  a.output_tokens = 20;
  a.session = 4;
  a.turn = 0;
  a.hash_offset = 0;
  a.hash_count = 3;
  a.slo_class = 1;
  Request c = a;
  c.timestamp = 9.5;
  c.input_tokens = 1300;
  c.turn = 1;
  c.think_s = 7.25f;
  c.hash_offset = 3;
  c.hash_count = 3;
  b.hash_ids = {10, 11, 12, 10, 11, 13};
  b.requests = {a, c};
  auto fast = ParseSloClass("fast:300:30");
  auto slow = ParseSloClass("slow:5000:250.5");
  ASSERT_TRUE(fast.ok() && slow.ok());
  for (const auto format : {TraceFormat::kJsonl, TraceFormat::kCsv}) {
    const std::string path =
        ::testing::TempDir() + (format == TraceFormat::kCsv ? "/conv.csv" : "/conv.jsonl");
    auto w = TraceWriter::Open(path, format, Category::kLanguage, {"a"}, 0, 600);
    ASSERT_TRUE(w.ok());
    w->SetSloClasses({*fast, *slow});
    ASSERT_TRUE(w->Write(b).ok());
    ASSERT_TRUE(w->Close().ok());
    if (format == TraceFormat::kJsonl) {
      const std::string text = ReadAll(path);
      EXPECT_NE(text.find("\"session_id\":4,\"turn\":1,\"think_time_ms\":7250.000,"
                          "\"hash_ids\":[10,11,13],\"slo_class\":\"slow\",\"ttft_slo_ms\":5000,"
                          "\"tpot_slo_ms\":250.5}"),
                std::string::npos)
          << text;
    }
    auto t = ReadTrace(path);
    ASSERT_TRUE(t.ok()) << t.message();
    EXPECT_TRUE(t->has_sessions);
    EXPECT_TRUE(t->has_hash_ids);
    ASSERT_EQ(t->batch.requests.size(), 2u);
    const Request& r = t->batch.requests[1];
    EXPECT_EQ(r.session, t->batch.requests[0].session);
    EXPECT_EQ(r.turn, 1);
    EXPECT_FLOAT_EQ(r.think_s, 7.25f);
    ASSERT_EQ(r.hash_count, 3u);
    EXPECT_EQ(t->batch.hash_ids[r.hash_offset + 2], 13);
    ASSERT_EQ(t->slo_classes.size(), 1u);  // only "slow" is used
    EXPECT_EQ(t->slo_classes[0].name, "slow");
    EXPECT_DOUBLE_EQ(t->slo_classes[0].tpot_ms, 250.5);
    EXPECT_EQ(r.slo_class, 0);
  }
  // Malformed fields name the line.
  auto bad = ReadTrace(Write("bad-hash.jsonl",
                             "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 5, "
                             "\"hash_ids\": [1, \"x\"]}\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("bad-hash.jsonl:1: \"hash_ids\" must hold integers"),
            std::string::npos)
      << bad.message();
  auto mixed = ReadTrace(Write("mixed-slo.jsonl",
                               "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 5, "
                               "\"slo_class\": \"a\", \"ttft_slo_ms\": 1, \"tpot_slo_ms\": 1}\n"
                               "{\"timestamp\": 1, \"input_length\": 5, \"output_length\": 5, "
                               "\"slo_class\": \"a\", \"ttft_slo_ms\": 2, \"tpot_slo_ms\": 1}\n"));
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.message().find(":2: SLO class 'a' has targets 2/1 ms here but 1/1 ms earlier"),
            std::string::npos)
      << mixed.message();
}

TEST(TraceIoTest, ReadsMooncakeAndAzureTraces) {
  auto mooncake = ReadTrace(Write(
      "m.jsonl",
      "{\"timestamp\": 0, \"input_length\": 6955, \"output_length\": 52, \"hash_ids\": [0, 1]}\n"
      "{\"timestamp\": 3052, \"input_length\": 6472, \"output_length\": 26, \"hash_ids\": [2]}\n"));
  ASSERT_TRUE(mooncake.ok()) << mooncake.message();
  EXPECT_FALSE(mooncake->has_client_ids);
  EXPECT_DOUBLE_EQ(mooncake->batch.requests[1].timestamp, 3.052);
  auto azure = ReadTrace(Write("a.csv",
                               "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                               "2023-11-16 18:15:46.6805900,374,44\n"
                               "2023-11-16 18:15:50.9951690,396,109\n"));
  ASSERT_TRUE(azure.ok()) << azure.message();
  EXPECT_NEAR(azure->batch.requests[1].timestamp - azure->batch.requests[0].timestamp, 4.314579,
              1e-6);
  EXPECT_NEAR(azure->batch.requests[0].timestamp, 1700158546.68059, 1e-4);
  EXPECT_EQ(azure->batch.requests[1].output_tokens, 109);
  auto generic = ReadTrace(
      Write("g.csv", "user_id,timestamp_s,prompt_tokens,completion_tokens\nu1,5,10,2\nu2,1,3,4\n"));
  ASSERT_TRUE(generic.ok()) << generic.message();
  EXPECT_EQ(generic->clients[generic->batch.requests[0].client], "u2");  // sorted by time
  ASSERT_EQ(generic->notes.size(), 1u);
}

TEST(TraceIoTest, MalformedLogsGiveTheirErrors) {
  struct Case {
    const char* name;
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"a.jsonl",
       "{\"timestamp\": 1, \"input_length\": 5, \"output_length\": 1}\n{\"timestamp\": 2,",
       "a.jsonl:2: not a JSON object (the last line has no newline: the file may be truncated)"},
      {"b.jsonl", "{\"input_length\": 5, \"output_length\": 1}\n",
       "b.jsonl:1: no \"timestamp\" field"},
      {"c.jsonl", "{\"timestamp\": 1, \"input_length\": -5, \"output_length\": 1}\n",
       "c.jsonl:1: \"input_length\" must be a number >= 0"},
      {"d.jsonl", "{\"timestamp\": 1, \"output_length\": 1}\n", "d.jsonl:1: no input length field"},
      {"e.jsonl", "{\"timestamp\": \"soon\", \"input_length\": 5, \"output_length\": 1}\n",
       "not a 'YYYY-MM-DD HH:MM:SS' datetime"},
      {"f.csv", "when,input,output\n1,2,3\n", "f.csv:1: header must name a timestamp column"},
      {"g.csv", "timestamp_s,input_tokens,output_tokens\n1,2\n",
       "g.csv:2: expected at least 3 columns"},
      {"h.csv", "timestamp_s,input_tokens,output_tokens\nx,2,3\n",
       "h.csv:2: timestamp 'x' is neither a number nor a datetime"},
      {"i.csv", "", "i.csv: the file is empty"},
      {"k.csv", "timestamp_s,input_tokens,output_tokens\n", "k.csv: no requests in the trace"},
      {"j.jsonl", "\n\n", "j.jsonl: the file is empty: no requests"},
  };
  for (const auto& c : cases) {
    auto r = ReadTrace(Write(c.name, c.text));
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_NE(r.message().find(c.error), std::string::npos) << c.name << " gave: " << r.message();
  }
  EXPECT_NE(ReadTrace("/nonexistent.jsonl").message().find("cannot open"), std::string::npos);
}

TEST(TraceIoTest, LenientSkipsAndCountsBadLines) {
  ReadOptions lenient;
  lenient.lenient = true;
  auto t = ReadTrace(Write("l.jsonl",
                           "{\"timestamp\": 1, \"input_length\": 5, \"output_length\": 1}\n"
                           "garbage\n"
                           "{\"timestamp\": 2, \"input_length\": 5, \"output_length\": 1}\n"),
                     lenient);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->batch.requests.size(), 2u);
  EXPECT_EQ(t->skipped_lines, 1);
}

TEST(TraceIoTest, TimeUnitsAndDatetimes) {
  ReadOptions seconds;
  seconds.time_unit = TimeUnit::kSeconds;
  auto t = ReadTrace(
      Write("s.jsonl", "{\"timestamp\": 7, \"input_length\": 5, \"output_length\": 1}\n"), seconds);
  EXPECT_DOUBLE_EQ(t->batch.requests[0].timestamp, 7.0);
  EXPECT_DOUBLE_EQ(*ParseDateTime("1970-01-02 00:00:01"), 86401.0);
  EXPECT_DOUBLE_EQ(*ParseDateTime("2000-03-01T00:00:00Z"), 951868800.0);
  EXPECT_FALSE(ParseDateTime("2000-13-01 00:00:00").has_value());
  EXPECT_FALSE(ParseTimeUnit("minutes").ok());
}

}  // namespace
}  // namespace llms::servegen
