// YAML configuration and model specs for `aegaeon serve`.
#include "server/serve_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>

namespace llms::server {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kTopKeys{"host",
                                        "port",
                                        "api_key",
                                        "policy",
                                        "instances",
                                        "prefill_instances",
                                        "instance_memory_mb",
                                        "host_kv_mb",
                                        "threads_per_instance",
                                        "max_queue",
                                        "max_in_flight",
                                        "max_round_s",
                                        "slo",
                                        "models",
                                        "model_dir",
                                        "drain_timeout_s",
                                        "max_body_mb",
                                        "max_prompt_mb",
                                        "max_model_len",
                                        "header_timeout_s",
                                        "body_timeout_s",
                                        "keep_alive_timeout_s",
                                        "max_generation_s",
                                        "max_connections",
                                        "latency_profile",
                                        "step_log"};

template <typename T>
Status Read(const YAML::Node& n, const char* key, T* out) {
  if (!n[key]) return Status::Ok();
  try {
    *out = n[key].as<T>();
  } catch (const YAML::Exception&) {
    return Status::Error(
        fmt::format("line {}: '{}' has the wrong type", n[key].Mark().line + 1, key));
  }
  return Status::Ok();
}

// `slo: {ttft_s: X, tpot_s: Y}`, both > 0.
Status ReadSlo(const YAML::Node& n, SloTargets* slo) {
  if (!n.IsMap()) {
    return Status::Error(
        fmt::format("line {}: 'slo' must be a mapping {{ttft_s, tpot_s}}", n.Mark().line + 1));
  }
  for (const auto& kv : n) {
    const std::string key = kv.first.as<std::string>();
    if (key != "ttft_s" && key != "tpot_s") {
      return Status::Error(fmt::format("line {}: unknown key '{}' in slo (ttft_s, tpot_s)",
                                       kv.first.Mark().line + 1, key));
    }
  }
  for (Status s : {Read(n, "ttft_s", &slo->ttft_s), Read(n, "tpot_s", &slo->tpot_s)}) {
    if (!s.ok()) return s;
  }
  if (!(slo->ttft_s > 0) || !(slo->tpot_s > 0)) {
    return Status::Error(
        fmt::format("line {}: slo ttft_s and tpot_s must be > 0 seconds", n.Mark().line + 1));
  }
  return Status::Ok();
}

}  // namespace

Status AddModelSpec(const std::string& spec, std::vector<ModelEntry>* models) {
  std::string name, path = spec;
  if (const size_t eq = spec.find('='); eq != std::string::npos) {
    name = spec.substr(0, eq);
    path = spec.substr(eq + 1);
    if (name.empty()) return Status::Error("--model '" + spec + "': the name before '=' is empty");
  }
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(path, ec)) {
      if (e.path().extension() == ".gguf") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty())
      return Status::Error("--model " + path + ": the directory holds no .gguf file");
    for (const fs::path& f : files) models->push_back({f.stem().string(), f.string(), "", {}});
    return Status::Ok();
  }
  if (!fs::exists(path, ec)) {
    return Status::Error("--model " + spec + ": no such file (give NAME=FILE.gguf or a directory)");
  }
  if (name.empty()) name = fs::path(path).stem().string();
  models->push_back({name, path, "", {}});
  return Status::Ok();
}

Status AddTokenizerSpec(const std::string& spec, std::vector<ModelEntry>* models) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos) {
    return Status::Error("--tokenizer '" + spec + "': give NAME=TOKENIZER.bin for model NAME");
  }
  const std::string name = spec.substr(0, eq);
  for (ModelEntry& m : *models) {
    if (m.name == name) {
      m.tokenizer = spec.substr(eq + 1);
      return Status::Ok();
    }
  }
  return Status::Error("--tokenizer '" + spec + "': no model named '" + name + "' (give --model " +
                       name + "=FILE first)");
}

Status AddSloSpec(const std::string& spec, std::vector<ModelEntry>* models) {
  auto parsed = ParseModelSlo(spec);
  if (!parsed.ok()) return parsed.status();
  for (ModelEntry& m : *models) {
    if (m.name == parsed->first) {
      m.slo = parsed->second;
      return Status::Ok();
    }
  }
  return Status::Error("--slo '" + spec + "': no model named '" + parsed->first + "'");
}

Status LoadServeConfig(const std::string& path, DeploymentConfig* d, ServerOptions* o) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Status::Error(path + ": cannot read the file");
  } catch (const YAML::Exception& e) {
    return Status::Error(fmt::format("{}:{}: not valid YAML: {}", path, e.mark.line + 1, e.msg));
  }
  if (!root.IsMap()) return Status::Error(path + ": the configuration must be a YAML mapping");
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(kTopKeys.begin(), kTopKeys.end(), key) == kTopKeys.end()) {
      return Status::Error(fmt::format("{}:{}: unknown key '{}' (docs/serve.md lists the keys)",
                                       path, kv.first.Mark().line + 1, key));
    }
  }
  int port = o->port;
  double instance_mb = static_cast<double>(d->instance_memory) / (1 << 20);
  double host_kv_mb = static_cast<double>(d->host_kv_bytes) / (1 << 20);
  double max_body_mb = static_cast<double>(o->max_body_bytes) / (1 << 20);
  double max_prompt_mb = static_cast<double>(o->max_prompt_bytes) / (1 << 20);
  for (Status s : {Read(root, "host", &o->host),
                   Read(root, "port", &port),
                   Read(root, "api_key", &o->api_key),
                   Read(root, "policy", &d->policy),
                   Read(root, "instances", &d->instances),
                   Read(root, "prefill_instances", &d->prefill_instances),
                   Read(root, "instance_memory_mb", &instance_mb),
                   Read(root, "host_kv_mb", &host_kv_mb),
                   Read(root, "threads_per_instance", &d->threads_per_instance),
                   Read(root, "max_queue", &d->max_queue),
                   Read(root, "max_in_flight", &d->max_in_flight),
                   Read(root, "max_round_s", &d->max_round_s),
                   Read(root, "drain_timeout_s", &o->drain_timeout_s),
                   Read(root, "max_body_mb", &max_body_mb),
                   Read(root, "max_prompt_mb", &max_prompt_mb),
                   Read(root, "max_model_len", &d->max_model_len),
                   Read(root, "header_timeout_s", &o->header_timeout_s),
                   Read(root, "body_timeout_s", &o->body_timeout_s),
                   Read(root, "keep_alive_timeout_s", &o->keep_alive_timeout_s),
                   Read(root, "max_generation_s", &o->max_generation_s),
                   Read(root, "max_connections", &o->max_connections),
                   Read(root, "latency_profile", &d->latency_profile),
                   Read(root, "step_log", &d->step_log)}) {
    if (!s.ok()) return s.WithContext(path);
  }
  if (port < 0 || port > 65535)
    return Status::Error(fmt::format("{}: port {} is not 0-65535", path, port));
  o->port = static_cast<uint16_t>(port);
  d->instance_memory = static_cast<size_t>(instance_mb * (1 << 20));
  d->host_kv_bytes = static_cast<size_t>(host_kv_mb * (1 << 20));
  o->max_body_bytes = static_cast<size_t>(max_body_mb * (1 << 20));
  o->max_prompt_bytes = static_cast<size_t>(max_prompt_mb * (1 << 20));
  for (auto [key, v] : {std::pair<const char*, double>{"header_timeout_s", o->header_timeout_s},
                        {"body_timeout_s", o->body_timeout_s},
                        {"keep_alive_timeout_s", o->keep_alive_timeout_s},
                        {"max_generation_s", o->max_generation_s},
                        {"max_connections", o->max_connections},
                        {"max_prompt_mb", max_prompt_mb}}) {
    if (!(v > 0)) return Status::Error(fmt::format("{}: {} must be > 0", path, key));
  }
  if (d->max_model_len < 0) return Status::Error(path + ": max_model_len must be >= 0");
  if (const YAML::Node slo = root["slo"]) {
    if (Status s = ReadSlo(slo, &d->slo); !s.ok()) return s.WithContext(path);
  }
  if (const YAML::Node dir = root["model_dir"]) {
    if (Status s = AddModelSpec(dir.as<std::string>(), &d->models); !s.ok())
      return s.WithContext(path);
  }
  if (const YAML::Node models = root["models"]) {
    if (!models.IsSequence()) {
      return Status::Error(
          fmt::format("{}:{}: 'models' must be a list of {{name, file, tokenizer}}", path,
                      models.Mark().line + 1));
    }
    for (const YAML::Node& m : models) {
      if (!m.IsMap() || !m["file"]) {
        return Status::Error(
            fmt::format("{}:{}: each model needs at least 'file'", path, m.Mark().line + 1));
      }
      const std::string file = m["file"].as<std::string>();
      std::string spec = m["name"] ? m["name"].as<std::string>() + "=" + file : file;
      if (Status s = AddModelSpec(spec, &d->models); !s.ok()) return s.WithContext(path);
      if (m["tokenizer"]) d->models.back().tokenizer = m["tokenizer"].as<std::string>();
      if (const YAML::Node slo = m["slo"]) {
        SloTargets own = d->slo;  // a key left out takes the deployment's value
        if (Status s = ReadSlo(slo, &own); !s.ok()) return s.WithContext(path);
        d->models.back().slo = own;
      }
    }
  }
  return Status::Ok();
}

}  // namespace llms::server
