// The serve configuration: YAML keys into the deployment, model specs, and errors that name the
// line and the problem.
#include "server/serve_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace llms::server {
namespace {

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(ServeConfigTest, ReadsEveryKey) {
  const std::string model = Write("m.gguf", "x");
  const std::string cfg = Write("serve.yaml", R"(port: 9001
host: 0.0.0.0
api_key: k
policy: request-level
instances: 3
prefill_instances: 2
instance_memory_mb: 100
host_kv_mb: 50
threads_per_instance: 2
max_queue: 7
max_in_flight: 9
max_round_s: 0.25
drain_timeout_s: 5
slo: {ttft_s: 1.5, tpot_s: 0.05}
models:
  - {name: a, file: )" + model + R"(, slo: {tpot_s: 0.5}}
  - {file: )" + model + R"(, tokenizer: tok.bin}
)");
  DeploymentConfig d;
  ServerOptions o;
  ASSERT_TRUE(LoadServeConfig(cfg, &d, &o).ok());
  EXPECT_EQ(o.port, 9001);
  EXPECT_EQ(o.host, "0.0.0.0");
  EXPECT_EQ(o.api_key, "k");
  EXPECT_EQ(o.drain_timeout_s, 5);
  EXPECT_EQ(d.policy, "request-level");
  EXPECT_EQ(d.instances, 3);
  EXPECT_EQ(d.prefill_instances, 2);
  EXPECT_EQ(d.instance_memory, size_t{100} << 20);
  EXPECT_EQ(d.host_kv_bytes, size_t{50} << 20);
  EXPECT_EQ(d.threads_per_instance, 2);
  EXPECT_EQ(d.max_queue, 7);
  EXPECT_EQ(d.max_in_flight, 9);
  EXPECT_EQ(d.max_round_s, 0.25);
  EXPECT_EQ(d.slo.ttft_s, 1.5);
  EXPECT_EQ(d.slo.tpot_s, 0.05);
  ASSERT_EQ(d.models.size(), 2u);
  EXPECT_EQ(d.models[0].name, "a");
  EXPECT_EQ(d.models[1].name, "m");  // named by the file's stem
  EXPECT_EQ(d.models[1].tokenizer, "tok.bin");
  // A model's own SLO; a key it leaves out comes from the deployment's.
  ASSERT_TRUE(d.models[0].slo.has_value());
  EXPECT_EQ(d.models[0].slo->tpot_s, 0.5);
  EXPECT_EQ(d.models[0].slo->ttft_s, 1.5);
  EXPECT_FALSE(d.models[1].slo.has_value());
}

TEST(ServeConfigTest, ErrorsNameTheLineAndTheProblem) {
  DeploymentConfig d;
  ServerOptions o;
  Status s = LoadServeConfig(Write("bad1.yaml", "port: 1\nmodles: []\n"), &d, &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(":2: unknown key 'modles'"), std::string::npos) << s.message();
  s = LoadServeConfig(Write("bad2.yaml", "port: [1\n"), &d, &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not valid YAML"), std::string::npos) << s.message();
  s = LoadServeConfig(Write("bad3.yaml", "instances: many\n"), &d, &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'instances' has the wrong type"), std::string::npos) << s.message();
  s = LoadServeConfig(Write("bad4.yaml", "models:\n  - {name: x}\n"), &d, &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("needs at least 'file'"), std::string::npos) << s.message();
  EXPECT_FALSE(LoadServeConfig("/nonexistent.yaml", &d, &o).ok());
  s = LoadServeConfig(Write("bad5.yaml", "slo:\n  ttft_s: 1\n  tpot: 0.1\n"), &d, &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("line 3: unknown key 'tpot' in slo"), std::string::npos)
      << s.message();
  s = LoadServeConfig(Write("bad6.yaml", "slo: {ttft_s: 0}\n"), &d, &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("must be > 0"), std::string::npos) << s.message();
}

TEST(ServeConfigTest, ModelSpecs) {
  const std::string dir = ::testing::TempDir() + "/models_dir";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/b.gguf") << "x";
  std::ofstream(dir + "/a.gguf") << "x";
  std::ofstream(dir + "/notes.txt") << "x";
  std::vector<ModelEntry> models;
  ASSERT_TRUE(AddModelSpec(dir, &models).ok());
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].name, "a");
  EXPECT_EQ(models[1].name, "b");
  ASSERT_TRUE(AddModelSpec("c=" + dir + "/a.gguf", &models).ok());
  EXPECT_EQ(models.back().name, "c");
  EXPECT_FALSE(AddModelSpec("=x.gguf", &models).ok());
  EXPECT_FALSE(AddModelSpec("d=/nonexistent.gguf", &models).ok());
  ASSERT_TRUE(AddTokenizerSpec("c=tok.bin", &models).ok());
  EXPECT_EQ(models.back().tokenizer, "tok.bin");
  EXPECT_FALSE(AddTokenizerSpec("zz=tok.bin", &models).ok());
  EXPECT_FALSE(AddTokenizerSpec("tok.bin", &models).ok());
  ASSERT_TRUE(AddSloSpec("c=3,0.25", &models).ok());
  ASSERT_TRUE(models.back().slo.has_value());
  EXPECT_EQ(models.back().slo->ttft_s, 3.0);
  EXPECT_EQ(models.back().slo->tpot_s, 0.25);
  EXPECT_FALSE(AddSloSpec("zz=1,1", &models).ok());
  EXPECT_FALSE(AddSloSpec("c=1", &models).ok());
}

}  // namespace
}  // namespace llms::server
