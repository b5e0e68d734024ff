// Tests for the ServeGen-layout loader: a table of malformed trace rows and dataset files with the
// file:line error each gives, the non-fatal handling of clients without datasets, window
// alignment, lazy parsing of a span, and the real ServeGen data when ../shared is present.
#include "servegen/pool_loader.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "servegen/presets.h"

namespace llms::servegen {
namespace {

const char* kDataset = R"({
  "0": {
    "input_tokens": "{10: 0.5, 20: 0.5}",
    "output_tokens": "{5: 1.0}"
  },
  "21600": {
    "input_tokens": "{}",
    "output_tokens": "{}"
  },
  "43200": {
    "input_tokens": "{30: 1.0}",
    "output_tokens": "{6: 1.0}"
  }
})";

TEST(TraceCsvTest, MalformedRowsGiveFileLineErrors) {
  struct Case {
    const char* content;
    const char* error;
  };
  const Case cases[] = {
      {"0,1,1,Gamma,1,1\n600,1,1,Gamma,1\n", "t.csv:2: expected 6 comma-separated columns"},
      {"0,abc,1,Gamma,1,1\n", "t.csv:1: column 2 (rate) is 'abc', expected a finite number >= 0"},
      {"0,1,-1,Gamma,1,1\n", "t.csv:1: column 3 (cv) is '-1'"},
      {"0,1,1,Gamma,1,1\n600,inf,1,Gamma,1,1\n", "t.csv:2: column 2 (rate) is 'inf'"},
      {"0,1,1,Gamma,1,1\n600,nan,1,Gamma,1,1\n", "t.csv:2: column 2 (rate) is 'nan'"},
      {"0,1,1,Lognormal,1,1\n", "t.csv:1: column 4 (pattern) is 'Lognormal'"},
      {"0,1,1,Gamma,0,1\n", "t.csv:1: Gamma window needs shape > 0"},
      {"0,1,1,Gamma,1,1\n600,1,1,Gamma,1,1\n1300,1,1,Gamma,1,1\n", "t.csv:3: windows not aligned"},
      {"0,1,1,Gamma,1,1\n0,1,1,Gamma,1,1\n", "t.csv:2: window_start_s 0 does not increase"},
      {"0,1,1,Gamma,1,1\n600.5,1,1,Gamma,1,1\n", "t.csv:2: column 1 (window_start_s) is '600.5'"},
      {"", "t.csv: no rows"},
  };
  for (const auto& c : cases) {
    auto r = ParseTraceCsv(c.content, "t.csv");
    ASSERT_FALSE(r.ok()) << c.content;
    EXPECT_NE(r.message().find(c.error), std::string::npos) << "got: " << r.message();
  }
}

TEST(TraceCsvTest, ParsesRowsAndInactiveWindows) {
  auto r = ParseTraceCsv(
      "window_start_s,rate,cv,pattern,shape,scale\n0,1.5,2,Weibull,0.5,0.3\n600,0,0,,0,0\n",
      "t.csv");
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r->windows.size(), 2u);
  EXPECT_EQ(r->step, 600);
  EXPECT_EQ(r->windows[0].pattern, ArrivalPattern::kWeibull);
  EXPECT_DOUBLE_EQ(r->windows[0].rate, 1.5);
  EXPECT_FALSE(r->windows[1].active());
}

TEST(DatasetJsonTest, MalformedFilesGiveFileLineErrors) {
  struct Case {
    const char* content;
    const char* error;
  };
  const Case cases[] = {
      {"[]", "d.json:1: expected '{' at the start"},
      {"{\n  \"x\": {}\n}", "d.json:2: window key \"x\" is not an integer"},
      {"{\n  \"0\": {\n    \"input_tokens\": \"{10: 0.5}\"\n  }\n}",
       "d.json:3: window \"0\" field \"input_tokens\": probabilities sum to 0.5"},
      {"{\n  \"0\": {\n    \"input_tokens\": \"{10: 0.5,, }\"\n  }\n}",
       "d.json:3: window \"0\" field \"input_tokens\": column 10"},
      {"{\n  \"0\": {\n    \"input_tokens\": 5\n  }\n}",
       "d.json:3: field \"input_tokens\": expected a string"},
      {"{\n  \"600\": {},\n  \"0\": {}\n}",
       "d.json:3: window \"0\" does not come after window \"600\""},
      {"{\n  \"0\": {\n    \"input_tokens\": \"{10: 1.0}\"\n  }\n",
       "d.json:5: unexpected end of file"},
      {"{\n  \"0\": {\n    \"input_tokens\": \"{10: 1.0}\"", "expected ',' or '}' after a field"},
  };
  LoadOptions all;
  all.validate_all = true;
  for (const auto& c : cases) {
    auto r = ParseDatasetJson(c.content, "d.json", all);
    ASSERT_FALSE(r.ok()) << c.content;
    EXPECT_NE(r.message().find(c.error), std::string::npos) << "got: " << r.message();
  }
}

TEST(DatasetJsonTest, EmptyWindowsAreInactiveAndSpanSelectsWindows) {
  LoadOptions all;
  all.validate_all = true;
  auto r = ParseDatasetJson(kDataset, "d.json", all);
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r->size(), 2u);  // 21600 has empty fields: inactive
  EXPECT_EQ((*r)[1].start, 43200);
  LoadOptions span;  // [50000, 60000): only the latest window at or before 50000 is parsed
  span.span_start = 50000;
  span.span_end = 60000;
  auto s = ParseDatasetJson(kDataset, "d.json", span);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0].start, 43200);
}

TEST(DatasetJsonTest, SpanLoadingStopsBeforeLaterWindows) {
  // A corrupt window after the span is not read unless everything is validated.
  const std::string text = std::string(kDataset).substr(0, std::string(kDataset).rfind('}')) +
                           ",\n  \"90000\": {\"input_tokens\": \"{broken\"}\n}";
  LoadOptions span;
  span.span_start = 0;
  span.span_end = 3600;
  EXPECT_TRUE(ParseDatasetJson(text, "d.json", span).ok());
  LoadOptions all;
  all.validate_all = true;
  EXPECT_FALSE(ParseDatasetJson(text, "d.json", all).ok());
}

TEST(PoolLoaderTest, ClientWithoutDatasetIsReportedNotFatal) {
  const std::string trace = "0,1,1,Gamma,1,1\n600,2,1,Gamma,1,1\n";
  std::vector<PoolFile> files = {{"chunk-1-trace.csv", trace},
                                 {"chunk-1-dataset.json", kDataset},
                                 {"chunk-2-trace.csv", trace}};
  auto pool = LoadPoolFromFiles(files, "mem", {});
  ASSERT_TRUE(pool.ok()) << pool.message();
  ASSERT_EQ(pool->clients.size(), 1u);
  EXPECT_EQ(pool->clients[0].id, "1");
  ASSERT_EQ(pool->notes.size(), 1u);
  // The note says how much traffic leaves with the client: both carry the same rates, so half.
  EXPECT_NE(pool->notes[0].find("(2) left out: 50.0% of the span's requests"), std::string::npos)
      << pool->notes[0];
  EXPECT_NE(pool->notes[0].find("--keep-unmatched"), std::string::npos);
  EXPECT_EQ(pool->category, Category::kLanguage);
  EXPECT_EQ(pool->num_windows, 2u);

  // Kept on request, with the pooled lengths (here: client 1's, the only one with data).
  LoadOptions keep;
  keep.keep_clients_without_lengths = true;
  auto kept = LoadPoolFromFiles(files, "mem", keep);
  ASSERT_TRUE(kept.ok()) << kept.message();
  ASSERT_EQ(kept->clients.size(), 2u);
  EXPECT_EQ(kept->clients[1].id, "2");
  ASSERT_FALSE(kept->clients[1].lengths.empty());
  const auto* in = kept->clients[1].lengths[0].Get(LengthField::kInputTokens);
  const auto* own = kept->clients[0].lengths[0].Get(LengthField::kInputTokens);
  ASSERT_TRUE(in && own);
  EXPECT_EQ(in->values(), own->values());
  EXPECT_NE(kept->notes[0].find("kept with the pool's pooled length distributions: 50.0%"),
            std::string::npos)
      << kept->notes[0];
}

TEST(PoolLoaderTest, ClientParamsGiveConversationModelsAndCorrelations) {
  const std::string trace = "0,1,1,Gamma,1,1\n600,2,1,Gamma,1,1\n";
  const std::string params =
      "client_id,source,turns_mean,think_median_s,think_sigma,system_prompt_tokens,"
      "system_prompts,prefix_share,io_rank_corr\n"
      "*,assumed,2,30,1,256,4,0.5,\n"
      "2,fitted,3.5,12,0.5,0,0,0,-0.25\n";
  std::vector<PoolFile> files = {{"chunk-1-trace.csv", trace},
                                 {"chunk-1-dataset.json", kDataset},
                                 {"chunk-2-trace.csv", trace},
                                 {"chunk-2-dataset.json", kDataset},
                                 {"client_params.csv", params}};
  auto pool = LoadPoolFromFiles(files, "mem", {});
  ASSERT_TRUE(pool.ok()) << pool.message();
  ASSERT_EQ(pool->clients.size(), 2u);
  ASSERT_TRUE(pool->clients[0].conversations);
  EXPECT_EQ(pool->clients[0].conversations->source, "assumed");
  EXPECT_EQ(pool->clients[0].conversations->system_prompts, 4);
  EXPECT_FALSE(pool->clients[0].io_rank_corr);
  ASSERT_TRUE(pool->clients[1].conversations);
  EXPECT_DOUBLE_EQ(pool->clients[1].conversations->turns_mean, 3.5);
  ASSERT_TRUE(pool->clients[1].io_rank_corr);
  EXPECT_DOUBLE_EQ(*pool->clients[1].io_rank_corr, -0.25);

  // Round trip through the writer's format.
  auto rows = ParseClientParams(params, "p.csv");
  ASSERT_TRUE(rows.ok()) << rows.message();
  auto again = ParseClientParams(FormatClientParams(*rows), "again.csv");
  ASSERT_TRUE(again.ok()) << again.message();
  EXPECT_EQ(FormatClientParams(*again), FormatClientParams(*rows));

  // Bad rows name the file, the line and what is wrong.
  auto bad = ParseClientParams("1,fitted,0.5,1,1,0,0,0,\n", "p.csv");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("p.csv:1: turns_mean = 0.5 must be a finite number >= 1"),
            std::string::npos)
      << bad.message();
  EXPECT_FALSE(ParseClientParams("1,fitted,2,1,1\n", "p.csv").ok());
  EXPECT_FALSE(ParseClientParams("1,,,,,,,,1.5\n", "p.csv").ok());
  EXPECT_FALSE(ParseClientParams("1,fitted,2,nan,1,0,0,0,\n", "p.csv").ok());
}

TEST(PoolLoaderTest, MisalignedClientsAndMissingFieldsAreErrors) {
  std::vector<PoolFile> a = {{"chunk-1-trace.csv", "0,1,1,Gamma,1,1\n600,1,1,Gamma,1,1\n"},
                             {"chunk-1-dataset.json", kDataset},
                             {"chunk-2-trace.csv", "0,1,1,Gamma,1,1\n300,1,1,Gamma,1,1\n"},
                             {"chunk-2-dataset.json", kDataset}};
  auto r = LoadPoolFromFiles(a, "mem", {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("mem/chunk-2-trace.csv: windows are 300 s apart"), std::string::npos)
      << r.message();
  std::vector<PoolFile> b = {{"chunk-1-trace.csv", "0,1,1,Gamma,1,1\n"},
                             {"chunk-1-dataset.json", "{\"0\": {\"input_tokens\": \"{1: 1.0}\"}}"}};
  auto m = LoadPoolFromFiles(b, "mem", {});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.message().find("has no \"output_tokens\" field"), std::string::npos) << m.message();
  auto none = LoadPoolFromFiles({}, "mem", {});
  EXPECT_NE(none.message().find("no chunk-<id>-trace.csv files"), std::string::npos);
  auto dir = LoadPoolFromDirectory("/nonexistent/dir", {});
  EXPECT_NE(dir.message().find("not a directory"), std::string::npos);
}

TEST(PoolLoaderTest, EveryPresetLoadsAndValidates) {
  ASSERT_GE(PresetNames().size(), 3u);
  for (const std::string name : {"language", "multimodal", "reason"}) {
    auto files = PresetFiles(name);
    ASSERT_TRUE(files.has_value()) << name;
    LoadOptions all;
    all.validate_all = true;
    auto pool = LoadPoolFromFiles(*files, "preset:" + name, all);
    ASSERT_TRUE(pool.ok()) << pool.message();
    EXPECT_EQ(CategoryName(pool->category), name);
    EXPECT_GE(pool->clients.size(), 5u);
    EXPECT_EQ(pool->num_windows, 144u);
    EXPECT_FALSE(PresetDescription(name).empty());
  }
  EXPECT_FALSE(PresetFiles("nope").has_value());
}

TEST(PoolLoaderTest, RealServeGenData) {
  const std::string dir = std::string(LLMS_SHARED_DIR) + "/data/servegen/language/m-large";
  if (!std::filesystem::exists(dir))
    GTEST_SKIP() << "../shared/data/servegen is absent; this test runs in CI";
  LoadOptions opt;
  opt.span_end = 3600;
  opt.threads = 2;
  auto pool = LoadPoolFromDirectory(dir, opt);
  ASSERT_TRUE(pool.ok()) << pool.message();
  EXPECT_EQ(pool->num_windows, 2016u);
  EXPECT_EQ(pool->window_seconds, 600);
  // 162 trace files, 15 of them without a dataset (MISSING-DATASETS.txt): reported in one note
  // with the share of the first hour's requests they carry, not fatal.
  EXPECT_EQ(pool->clients.size(), 147u);
  ASSERT_EQ(pool->notes.size(), 1u);
  EXPECT_NE(pool->notes[0].find("15 client(s) without length data"), std::string::npos);
  EXPECT_NE(pool->notes[0].find("20.6% of the span's requests"), std::string::npos)
      << pool->notes[0];
  // Thread count does not change the result.
  opt.threads = 1;
  auto again = LoadPoolFromDirectory(dir, opt);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->clients.size(), pool->clients.size());
  for (size_t i = 0; i < pool->clients.size(); ++i)
    EXPECT_EQ(again->clients[i].id, pool->clients[i].id);
}

}  // namespace
}  // namespace llms::servegen
