// End-to-end on the CPU: Aegaeon's scheduler drives real CpuExecutors (one thread per instance,
// the real clock) serving stories260K and two random-weight models of different shapes under a
// ServeGen-style workload scaled to this machine. Every request must complete, and each greedy
// request's tokens must equal its prompt decoded alone, although its model was switched out and
// back in between its tokens and its KV blocks moved to the host pool and back.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "core/clock.h"
#include "core/rng.h"
#include "engine/kv_cache.h"
#include "engine/model_writer.h"
#include "engine/sampler.h"
#include "engine/test_models.h"
#include "engine/transformer.h"
#include "executor/cpu_executor.h"
#include "serving/realtime_driver.h"
#include "sim/workload.h"

namespace llms::executor {
namespace {

// The reference: the prompt decoded alone, greedily, on a fresh cache.
std::vector<int32_t> SoloGreedy(const CpuModel& m, const std::vector<int32_t>& prompt,
                                int max_tokens) {
  const engine::Model& model = m.loaded.model;
  engine::KvCache cache(model.config, (model.config.seq_len + 15) / 16);
  engine::Transformer tf(model, cache);
  engine::BlockTable t;
  EXPECT_TRUE(cache.Reserve(t, static_cast<int>(prompt.size()) + max_tokens + 1));
  std::vector<engine::BatchRow> rows;
  for (size_t i = 0; i < prompt.size(); ++i) {
    rows.push_back({&t, prompt[i], static_cast<int>(i), i + 1 == prompt.size()});
  }
  std::vector<int32_t> out;
  const size_t vocab = static_cast<size_t>(model.config.vocab_size);
  std::vector<float> logits = tf.Forward(rows);
  while (static_cast<int>(out.size()) < max_tokens) {
    const int next = engine::Argmax(std::span<const float>(logits.data(), vocab));
    if (next == m.loaded.tokenizer->eos() || next == m.loaded.tokenizer->bos()) break;
    out.push_back(next);
    const engine::BatchRow row{&t, next, t.length, true};
    logits = tf.Forward(std::span<const engine::BatchRow>(&row, 1));
  }
  return out;
}

TEST(CpuServingTest, AegaeonOnRealModelsMatchesSoloDecodingAcrossSwitches) {
  LLMS_REQUIRE_STORIES();
  const std::string dir = ::testing::TempDir();
  // Two random-weight models of different shapes and types.
  const engine::ModelPreset* tiny = engine::FindModelPreset("llama-tiny");
  ASSERT_NE(tiny, nullptr);
  engine::ModelConfig small = tiny->config;
  small.architecture = "qwen2";
  small.rope_neox = true;
  small.dim = 128;
  small.hidden_dim = 384;
  small.n_layers = 3;
  small.n_heads = 4;
  small.n_kv_heads = 2;
  small.vocab_size = 1024;
  ASSERT_TRUE(engine::WriteRandomModel(tiny->config, true, engine::GgmlType::kQ8_0, 7,
                                       dir + "/tiny-q8.gguf", "tiny-q8")
                  .ok());
  ASSERT_TRUE(engine::WriteRandomModel(small, true, engine::GgmlType::kF16, 8,
                                       dir + "/small-f16.gguf", "small-f16")
                  .ok());
  std::vector<std::shared_ptr<const CpuModel>> models;
  const std::string stories = engine::testing::StoriesDir();
  for (auto [name, path, tok] :
       {std::tuple<std::string, std::string, std::string>{
            "stories260K", stories + "/stories260K.bin", stories + "/tok512.bin"},
        {"tiny-q8", dir + "/tiny-q8.gguf", ""},
        {"small-f16", dir + "/small-f16.gguf", ""}}) {
    auto m = LoadCpuModel(name, path, tok);
    ASSERT_TRUE(m.ok()) << m.message();
    models.push_back(*m);
  }
  std::vector<serving::ServedModel> served;
  for (const auto& m : models) served.push_back(CpuServedModel(*m));

  // 1 prefill + 1 decode instance, each with a 64 MB arena: the decode instance holds one model
  // at a time and, with short rounds, rotates among the models many times within each request.
  serving::ClusterSpec cluster;
  cluster.instances = 2;
  cluster.prefill_instances = 1;
  cluster.instance_memory = 64 << 20;
  cluster.slo.tpot_s = 0.02;
  cluster.max_round_s = 0.002;
  auto policy = serving::MakePolicy("aegaeon", served, cluster);
  ASSERT_TRUE(policy.ok()) << policy.message();
  SequenceStore store(256 << 20, 1 << 20);
  std::vector<std::unique_ptr<CpuExecutor>> executors;
  std::vector<serving::Executor*> raw;
  for (int i = 0; i < cluster.instances; ++i) {
    executors.push_back(std::make_unique<CpuExecutor>(&models, &store, cluster.instance_memory));
    raw.push_back(executors.back().get());
  }

  // ServeGen-style arrivals (the language pool's clients, one per model) at 45 req/s per model
  // over 0.4 s, with short prompts and outputs this CPU serves in seconds: the three models' work
  // overlaps however fast the machine decodes.
  sim::WorkloadSpec w;
  w.num_models = 3;
  w.rate_per_model = 45;
  w.duration_s = 0.4;
  w.arrivals = sim::ArrivalKind::kServeGen;
  w.seed = 5;
  const std::vector<sim::LengthPair> lengths{{6, 64}, {12, 96}, {20, 48}, {30, 80}, {9, 120}};
  auto workload = sim::GenerateWorkload(w, lengths);
  ASSERT_TRUE(workload.ok()) << workload.message();
  std::vector<serving::ServingRequest> reqs = std::move(*workload);
  ASSERT_GE(reqs.size(), 20u);
  const char* story_prompts[] = {"Once upon a time", "The little dog", "Lily went to the park",
                                 "One day, a big bird", "Tom had a red ball"};
  Rng rng(11);
  for (size_t i = 0; i < reqs.size(); ++i) {
    serving::ServingRequest& r = reqs[i];
    const CpuModel& m = *models[static_cast<size_t>(r.model)];
    if (r.model == 0) {
      r.prompt = m.loaded.tokenizer->Encode(story_prompts[i % 5], true);
    } else {
      for (int k = 0; k < r.prompt_tokens; ++k) {
        r.prompt.push_back(
            static_cast<int32_t>(3 + rng.NextU64() % (m.loaded.model.config.vocab_size - 3)));
      }
    }
    r.prompt_tokens = static_cast<int>(r.prompt.size());
    r.temperature = 0.0f;
  }

  RealClock clock;
  {
    serving::RealtimeDriver driver(policy->get(), raw, &clock);
    for (serving::ServingRequest& r : reqs) {
      clock.SleepUntil(r.arrival_s);
      driver.Submit(&r);
    }
    driver.WaitAllDone();
  }

  int switched_back = 0;
  for (const serving::ServingRequest& r : reqs) {
    SCOPED_TRACE(::testing::Message() << "request " << r.id << " of " << served[r.model].name);
    ASSERT_TRUE(r.finished);
    ASSERT_FALSE(r.failed()) << r.error;
    EXPECT_EQ(r.generated, static_cast<int>(r.output.size()));
    EXPECT_EQ(r.token_s.size(), r.output.size());
    EXPECT_EQ(r.output,
              SoloGreedy(*models[static_cast<size_t>(r.model)], r.prompt, r.max_output_tokens));
    switched_back += store.KvReturns(r.id) >= 2;
  }
  // Requests were switched out and back in between their tokens, their KV moving both ways (in
  // a typical run nearly all of them, some many times).
  EXPECT_GE(switched_back * 2, static_cast<int>(reqs.size())) << reqs.size() << " requests";
  int decode_switches = 0;
  serving::SwitchPhases sum;
  for (const auto& s : (*policy)->stats().switches) {
    if (s.instance == 0) continue;
    ++decode_switches;
    sum += s.phases;
    EXPECT_EQ(s.phases.engine_start_s, 0.0);  // only the simulated baselines pay a stock start
  }
  EXPECT_GT(decode_switches, 6);
  // Every phase of the sequence was measured: the release of the outgoing model, its batch's KV
  // out, the incoming weights, the incoming batch's KV in, and the first step after.
  EXPECT_GT(sum.stop_s, 0);
  EXPECT_GT(sum.kv_out_s, 0);
  EXPECT_GT(sum.weights_in_s, 0);
  EXPECT_GT(sum.kv_in_s, 0);
  EXPECT_GT(sum.first_step_s, 0);
  const SequenceStore::Stats st = store.stats();
  EXPECT_GT(st.blocks_out, 0);
  EXPECT_GT(st.blocks_in, 0);
  EXPECT_EQ(st.host_bytes_in_use, 0u);  // every block came back or was freed
}

}  // namespace
}  // namespace llms::executor
