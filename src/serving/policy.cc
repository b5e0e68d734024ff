// The policy base (token crediting, switch records, rejections) and the policy factory.
#include "serving/policy.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

#include "serving/aegaeon_policy.h"
#include "serving/multiplexing_policy.h"
#include "serving/request_level_policy.h"

namespace llms::serving {

std::string_view FinishReasonName(FinishReason r) {
  switch (r) {
    case FinishReason::kNone:
      return "none";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kEos:
      return "eos";
    case FinishReason::kContextFull:
      return "context_full";
    case FinishReason::kCancelled:
      return "cancelled";
    case FinishReason::kRejected:
      return "rejected";
    case FinishReason::kFailed:
      return "failed";
    case FinishReason::kInternal:
      return "internal";
    case FinishReason::kUnfinished:
      return "unfinished";
  }
  return "unknown";
}

std::string_view RejectReasonName(RejectReason r) {
  switch (r) {
    case RejectReason::kNone:
      return "none";
    case RejectReason::kQueueFull:
      return "queue_full";
    case RejectReason::kTooLarge:
      return "too_large";
    case RejectReason::kNotPlaced:
      return "not_placed";
  }
  return "unknown";
}

void Policy::Complete(int instance, const Action& action, const ActionResult& result, double start,
                      double end) {
  stats_.busy_s[static_cast<size_t>(instance)] += end - start;
  if (awaiting_first_step_.size() <= static_cast<size_t>(instance)) {
    awaiting_first_step_.resize(static_cast<size_t>(instance) + 1, -1);
  }
  // -1: no switch pending; -2: a switch pending with no record kept; >= 0: its record.
  int& pending = awaiting_first_step_[static_cast<size_t>(instance)];
  if (action.kind == ActionKind::kSwitch) {
    ++stats_.switch_count;
    stats_.switch_phases += result.phases;
    if (record_switches_) {
      stats_.switches.push_back({instance, start, action.from_model, action.model, result.phases});
      pending = static_cast<int>(stats_.switches.size()) - 1;
    } else {
      pending = -2;
    }
  } else if (pending != -1) {
    stats_.switch_phases.first_step_s += end - start;
    if (pending >= 0)
      stats_.switches[static_cast<size_t>(pending)].phases.first_step_s = end - start;
    pending = -1;
  }
  OnComplete(instance, action, result, start, end);
}

int64_t Policy::RemoveDone(std::vector<ServingRequest*>* running) {
  int64_t freed = 0;
  size_t kept = 0;
  for (ServingRequest* r : *running) {
    if (r->done()) {
      freed += ReservedBlocks(r);
      Retire(r);
    } else {
      (*running)[kept++] = r;
    }
  }
  running->resize(kept);
  return freed;
}

void Policy::Retire(ServingRequest* r) {
  if (r->finished) {
    std::fprintf(stderr, "internal error: request %llu retired twice\n",
                 static_cast<unsigned long long>(r->id));
    std::abort();
  }
  r->finished = true;
}

void Policy::Reject(ServingRequest* r, RejectReason why, const std::string& message) {
  r->reject = why;
  r->Finish(FinishReason::kRejected, message);
  Retire(r);
  stats_.rejected[std::string(RejectReasonName(why))]++;
}

void Policy::RetireCancelled(ServingRequest* r) {
  r->Finish(FinishReason::kCancelled, "cancelled");
  Retire(r);
}

void Policy::EmitTokens(const Action& action, double end) {
  for (ServingRequest* r : action.requests) {
    if (r->failed()) continue;
    // A real executor that ended a request without a new token (EOS, the context's end)
    // credits none.
    if (r->stopped() && static_cast<int>(r->output.size()) <= r->generated) continue;
    ++r->generated;
    r->token_s.push_back(end);
    if (r->generated >= r->max_output_tokens) r->Finish(FinishReason::kLength);
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
    if (KvCapacityBlocks(m, cluster.instance_memory) < 1) {
      const double need = m.weight_bytes + m.instance_overhead_bytes + m.kv_block_bytes();
      const bool gb = cluster.instance_memory >= 1e9;
      return Status::Error(fmt::format(
          "model {} needs {:.1f} {} for its weights and one KV block but an instance has {:.1f} {}",
          m.name, need / (gb ? 1e9 : 1e6), gb ? "GB" : "MB",
          cluster.instance_memory / (gb ? 1e9 : 1e6), gb ? "GB" : "MB"));
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
