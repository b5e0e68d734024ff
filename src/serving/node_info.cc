// NodeInfo as JSON.
#include "serving/node_info.h"

#include <nlohmann/json.hpp>

namespace llms::serving {

const ModelLoad* NodeInfo::Find(const std::string& model) const {
  for (const ModelLoad& m : models) {
    if (m.name == model) return &m;
  }
  return nullptr;
}

int64_t NodeInfo::queued() const {
  int64_t n = 0;
  for (const ModelLoad& m : models) n += m.waiting + m.running;
  return n;
}

std::string NodeInfoJson(const NodeInfo& n) {
  nlohmann::json models = nlohmann::json::array();
  for (const ModelLoad& m : n.models) {
    models.push_back({{"name", m.name},
                      {"resident", m.resident},
                      {"waiting", m.waiting},
                      {"running", m.running},
                      {"max_model_len", m.max_model_len}});
  }
  return nlohmann::json{
      {"name", n.name},           {"url", n.url},           {"models", std::move(models)},
      {"instances", n.instances}, {"draining", n.draining}, {"heartbeat_ms", n.heartbeat_ms},
      {"lease_ms", n.lease_ms}}
      .dump();
}

Result<NodeInfo> ParseNodeInfo(const std::string& json) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return Status::Error("a node record is not a JSON object");
  try {
    NodeInfo n;
    n.name = j.at("name").get<std::string>();
    n.url = j.at("url").get<std::string>();
    n.instances = j.value("instances", 0);
    n.draining = j.value("draining", false);
    n.heartbeat_ms = j.value("heartbeat_ms", int64_t{0});
    n.lease_ms = j.value("lease_ms", int64_t{0});
    for (const auto& m : j.at("models")) {
      n.models.push_back({m.at("name").get<std::string>(), m.value("resident", false),
                          m.value("waiting", int64_t{0}), m.value("running", int64_t{0}),
                          m.value("max_model_len", 0)});
    }
    return n;
  } catch (const nlohmann::json::exception& e) {
    return Status::Error(std::string("a node record is malformed: ") + e.what());
  }
}

}  // namespace llms::serving
