// Tests for the simulator's latency models: fits (serving/latency_fit.h) of the Aegaeon
// artifact's measured profiles (../shared/data/aegaeon-profiles) with bounded error, the roofline
// as a lower bound of those measurements, switch costs, and the loader's errors.
#include "sim/latency_model.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/model_presets.h"

namespace llms::sim {
namespace {

std::string ProfilesPath() {
  return std::string(LLMS_SHARED_DIR) + "/data/aegaeon-profiles/latency.csv";
}

TEST(LatencyModelTest, FitsTheArtifactProfilesWell) {
  auto rows = LoadLatencyProfiles(ProfilesPath());
  if (!rows.ok()) GTEST_SKIP() << "../shared/data/aegaeon-profiles is absent; CI has it";
  EXPECT_EQ(rows->size(), 2944u);
  const auto fits = FitLatencyModels(*rows);
  EXPECT_GE(fits.size(), 30u);  // 14 models on up to 5 GPUs
  for (const auto& f : fits) {
    SCOPED_TRACE(f.model + " on " + f.gpu);
    EXPECT_GE(f.prefill_error.points, 10);
    // The models explain most of the variance (the decode model, linear in the summed context,
    // is the weaker one: R^2 0.82-0.99 on this data) ...
    EXPECT_GT(f.prefill_error.r2, 0.95);
    EXPECT_GT(f.decode_error.r2, 0.8);
    // ... and predict the typical run within a modest relative error.
    EXPECT_LT(f.decode_error.mean_rel, 0.3);
    EXPECT_GT(f.prefill.b, 0);  // more tokens never make a prefill faster
  }
}

TEST(LatencyModelTest, RooflineIsALowerBoundOfMeasurements) {
  auto rows = LoadLatencyProfiles(ProfilesPath());
  if (!rows.ok()) GTEST_SKIP() << "../shared/data/aegaeon-profiles is absent; CI has it";
  const engine::ModelConfig llama2_7b = engine::FindModelPreset("llama-7b")->config;
  int checked = 0;
  const FitOptions valid;  // the measurements that are real steps (see FitOptions)
  for (const auto& r : *rows) {
    if (r.model != "llama2_7b" || r.input_len > valid.max_decode_context ||
        static_cast<int64_t>(r.batch_size) * r.input_len > valid.max_prefill_tokens) {
      continue;
    }
    const GpuSpec* gpu = FindGpu(r.gpu);
    ASSERT_NE(gpu, nullptr) << r.gpu;
    const auto roof = RooflineLatency::For(llama2_7b, 2.0, *gpu);
    std::vector<int> lengths(static_cast<size_t>(r.batch_size), r.input_len);
    EXPECT_LE(roof.PrefillSeconds(lengths), r.prefill_s) << r.gpu << " " << r.input_len;
    EXPECT_LE(roof.DecodeSeconds(static_cast<int64_t>(r.batch_size) * r.input_len, r.batch_size),
              r.decode_step_s);
    // Eager-mode vLLM reaches a reasonable share of the roofline at batch 1 decode.
    if (r.batch_size == 1 && r.input_len <= 64) {
      EXPECT_GT(roof.DecodeSeconds(r.input_len, 1), 0.2 * r.decode_step_s) << r.gpu;
    }
    ++checked;
  }
  EXPECT_GT(checked, 100);
}

TEST(LatencyModelTest, SwitchCostFollowsHostToDeviceBandwidth) {
  const double bytes = 14e9;  // a 7B model in fp16
  EXPECT_NEAR(SwitchSeconds(bytes, *FindGpu("H800")), bytes / (0.15 * 64 * 1024.0 * 1024 * 1024),
              1e-9);
  EXPECT_NEAR(SwitchSeconds(bytes, *FindGpu("A100")), 2 * SwitchSeconds(bytes, *FindGpu("H800")),
              1e-9);
  EXPECT_EQ(FindGpu("V100"), nullptr);
}

TEST(LatencyProfileTest, BadFilesGiveFileAndLine) {
  const std::string header =
      "model,gpu,input_len,batch_size,prefill_mean_s,prefill_p50_s,decode_step_mean_s,"
      "decode_step_p50_s,prefill_samples,decode_samples\n";
  struct Case {
    std::string text, error;
  } cases[] = {
      {"", "empty file"},
      {"a,b,c\n1,2,3\n", ":1: the header must name the columns"},
      {header, "no data rows"},
      {header + "m,g,16,1,0.1,0.1,0.2\n", ":2: 7 fields, the header has 10"},
      {header + "m,g,-16,1,0.1,0.1,0.2,0.2,1,1\n", ":2: input_len must be a positive integer"},
      {header + "m,g,16,1,0.1,0.1,0.2,0.2,1,1\nm,g,16,x,0.1,0.1,0.2,0.2,1,1\n",
       ":3: batch_size must be"},
      {header + "m,g,16,1,nan,0.1,0.2,0.2,1,1\n", ":2: prefill_mean_s must be"},
  };
  int i = 0;
  for (const auto& c : cases) {
    const std::string path = ::testing::TempDir() + "/profile" + std::to_string(i++) + ".csv";
    std::ofstream(path) << c.text;
    auto r = LoadLatencyProfiles(path);
    ASSERT_FALSE(r.ok()) << c.error;
    EXPECT_NE(r.message().find(c.error), std::string::npos) << r.message();
  }
  EXPECT_NE(LoadLatencyProfiles("/nonexistent.csv").message().find("cannot open"),
            std::string::npos);
}

}  // namespace
}  // namespace llms::sim
