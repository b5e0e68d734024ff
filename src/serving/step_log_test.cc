// Tests of the step log: a record's shape from an action, the CSV round trip, and clear errors
// for files that are not step logs.
#include "serving/step_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "serving/request.h"

namespace llms::serving {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed())))
      .string();
}

TEST(StepLogTest, RecordsTheShapeALatencyModelPredictsFrom) {
  const std::vector<StepLogModel> models = {{"a", 1e6, 512}, {"b", 2e6, 1024}};
  ServingRequest r1, r2;
  r1.prompt_tokens = 10;
  r2.prompt_tokens = 30;
  r2.generated = 5;
  Action prefill;
  prefill.kind = ActionKind::kPrefill;
  prefill.model = 1;
  prefill.requests = {&r1, &r2};
  const StepRecord p = RecordStep(2, prefill, models);
  EXPECT_EQ(p.instance, 2);
  EXPECT_EQ(p.model, "b");
  EXPECT_EQ(p.batch, 2);
  EXPECT_EQ(p.tokens, 40);
  EXPECT_EQ(p.sum_sq, 100 + 900);
  EXPECT_EQ(p.weight_bytes, 2e6);
  EXPECT_EQ(p.kv_bytes_per_token, 1024);
  Action decode = prefill;
  decode.kind = ActionKind::kDecode;
  const StepRecord d = RecordStep(0, decode, models);
  EXPECT_EQ(d.tokens, 10 + 35);  // contexts, generated tokens included
  EXPECT_EQ(d.sum_sq, 0);
  const StepRecord s = RecordStep(1, SwitchAction(0, 1), models);
  EXPECT_EQ(s.kind, ActionKind::kSwitch);
  EXPECT_EQ(s.model, "a");
  EXPECT_EQ(s.from_model, "b");
  EXPECT_EQ(s.batch, 0);
  EXPECT_EQ(RecordStep(1, SwitchAction(0, -1), models).from_model, "");
}

TEST(StepLogTest, RowsRoundTripThroughTheCsv) {
  const std::string path = TempPath("steps.csv");
  const std::vector<StepLogModel> models = {{"a", 1e6, 512}};
  {
    auto log = StepLog::Open(path, models);
    ASSERT_TRUE(log.ok()) << log.message();
    StepRecord r;
    r.instance = 1;
    r.kind = ActionKind::kPrefill;
    r.model = "a";
    r.batch = 3;
    r.tokens = 96;
    r.sum_sq = 3072;
    r.start_s = 12.5;
    r.seconds = 0.031;
    r.weight_bytes = 1e6;
    r.kv_bytes_per_token = 512;
    (*log)->Append(r);
    r.kind = ActionKind::kSwitch;
    r.from_model = "";
    r.seconds = 0.25;
    (*log)->Append(r);
  }
  auto rows = ReadStepLog(path);
  ASSERT_TRUE(rows.ok()) << rows.message();
  ASSERT_EQ(rows->size(), 2u);
  const StepRecord& p = (*rows)[0];
  EXPECT_EQ(p.instance, 1);
  EXPECT_EQ(p.kind, ActionKind::kPrefill);
  EXPECT_EQ(p.model, "a");
  EXPECT_EQ(p.batch, 3);
  EXPECT_EQ(p.tokens, 96);
  EXPECT_EQ(p.sum_sq, 3072);
  EXPECT_DOUBLE_EQ(p.start_s, 12.5);
  EXPECT_DOUBLE_EQ(p.seconds, 0.031);
  EXPECT_EQ(p.weight_bytes, 1e6);
  EXPECT_EQ((*rows)[1].kind, ActionKind::kSwitch);
  EXPECT_EQ((*rows)[1].from_model, "");
  std::filesystem::remove(path);
}

TEST(StepLogTest, FilesThatAreNotStepLogsAreRefusedWithTheirLine) {
  const std::string path = TempPath("bad-steps.csv");
  { std::ofstream(path) << "model,seconds\na,1\n"; }
  auto wrong = ReadStepLog(path);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.message().find("not a step log"), std::string::npos) << wrong.message();
  {
    auto log = StepLog::Open(path, {});
    ASSERT_TRUE(log.ok());
  }
  { std::ofstream(path, std::ios::app) << "0,decode,a,,1,x,0,1.0,0.1,0,0\n"; }
  auto bad = ReadStepLog(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find(":2: malformed step row"), std::string::npos) << bad.message();
  EXPECT_FALSE(ReadStepLog(path + ".missing").ok());
  EXPECT_FALSE(StepLog::Open("/nonexistent-dir/steps.csv", {}).ok());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace llms::serving
