// The policy base (token crediting, switch records, rejections) and the policy factory.
#include "serving/policy.h"

#include <fmt/format.h>

#include "serving/aegaeon_policy.h"
#include "serving/multiplexing_policy.h"
#include "serving/request_level_policy.h"

namespace llms::serving {

void Policy::Complete(int instance, const Action& action, const ActionResult& result, double start,
                      double end) {
  stats_.busy_s[static_cast<size_t>(instance)] += end - start;
  if (awaiting_first_step_.size() <= static_cast<size_t>(instance)) {
    awaiting_first_step_.resize(static_cast<size_t>(instance) + 1, -1);
  }
  int& pending = awaiting_first_step_[static_cast<size_t>(instance)];
  if (action.kind == ActionKind::kSwitch) {
    stats_.switches.push_back({instance, start, action.from_model, action.model, result.phases});
    pending = static_cast<int>(stats_.switches.size()) - 1;
  } else if (pending >= 0) {
    stats_.switches[static_cast<size_t>(pending)].phases.first_step_s = end - start;
    pending = -1;
  }
  OnComplete(instance, action, result, start, end);
  for (ServingRequest* r : action.requests) r->finished = r->finished || r->done();
  for (ServingRequest* r : action.kv_out) r->finished = r->finished || r->done();
}

int64_t Policy::RemoveDone(std::vector<ServingRequest*>* running) {
  int64_t freed = 0;
  size_t kept = 0;
  for (ServingRequest* r : *running) {
    if (r->done()) {
      freed += r->reserved_tokens();
    } else {
      (*running)[kept++] = r;
    }
  }
  running->resize(kept);
  return freed;
}

void Policy::Reject(ServingRequest* r, const std::string& reason) {
  r->failed = true;
  r->error = reason;
  r->finished = true;
  // Count by the reason's kind (the text before any ':'), so reports group them.
  stats_.rejected[reason.substr(0, reason.find(':'))]++;
}

void Policy::EmitTokens(const Action& action, double end) {
  for (ServingRequest* r : action.requests) {
    if (r->failed) continue;
    // A real executor that stopped a request without a new token (EOS) credits none.
    if (r->stopped && static_cast<int>(r->output.size()) <= r->generated) continue;
    ++r->generated;
    r->token_s.push_back(end);
  }
}

const std::vector<std::string>& PolicyNames() {
  static const std::vector<std::string> names{"aegaeon",       "aegaeon-colocated",
                                              "request-level", "request-level-plus",
                                              "multiplexing",  "dedicated"};
  return names;
}

std::string PolicyNameList() {
  std::string out;
  for (const auto& n : PolicyNames()) out += (out.empty() ? "" : ", ") + n;
  return out;
}

Result<std::unique_ptr<Policy>> MakePolicy(const std::string& name,
                                           const std::vector<ServedModel>& models,
                                           const ClusterSpec& cluster) {
  if (cluster.instances < 1) return Status::Error("the cluster needs at least one instance");
  for (const ServedModel& m : models) {
    if (m.weight_bytes + m.kv_bytes_per_token * 16 > cluster.instance_memory) {
      return Status::Error(fmt::format(
          "model {} needs {:.1f} GB for its weights and one KV block but an instance has {:.1f} GB",
          m.name, (m.weight_bytes + m.kv_bytes_per_token * 16) / 1e9,
          cluster.instance_memory / 1e9));
    }
  }
  if (name == "aegaeon") {
    if (cluster.prefill_instances < 1 || cluster.prefill_instances >= cluster.instances) {
      return Status::Error(fmt::format(
          "aegaeon needs at least one prefill and one decode instance (got {} prefill of {})",
          cluster.prefill_instances, cluster.instances));
    }
    return std::unique_ptr<Policy>(std::make_unique<AegaeonPolicy>(models, cluster));
  }
  if (name == "aegaeon-colocated") {
    return std::unique_ptr<Policy>(std::make_unique<AegaeonPolicy>(models, cluster, true));
  }
  if (name == "request-level" || name == "request-level-plus") {
    return std::unique_ptr<Policy>(
        std::make_unique<RequestLevelPolicy>(models, cluster, name == "request-level-plus"));
  }
  if (name == "multiplexing" || name == "dedicated") {
    return std::unique_ptr<Policy>(
        std::make_unique<MultiplexingPolicy>(models, cluster, name == "dedicated"));
  }
  return Status::Error(fmt::format("unknown policy '{}' (known: {})", name, PolicyNameList()));
}

}  // namespace llms::serving
