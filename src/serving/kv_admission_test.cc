// Admission by KV space, for every policy that serves on the CPU: random workloads on tight
// instances (a few dozen KV blocks) with requests of every size, several models and clients that
// withdraw, driven on a virtual clock against a checking executor that holds KV exactly as the
// CPU executor does (whole blocks; after a switch only the incoming batch's; a prefill's group
// until it hands it to the host pool). Properties: no instance ever holds more blocks than it
// has, the host pool never holds more than its budget, every accepted request ends (completed or
// withdrawn, never failed), every request the policy takes leaves it (retired) exactly once, and
// a request too large for an instance is rejected up front (Policy::Retire aborts on a second
// retirement, and Aegaeon's host KV charges return to zero). Also: a server's policy keeps switch
// sums, not a growing history.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <unordered_map>

#include "serving/aegaeon_policy.h"
#include "serving/policy.h"

namespace llms::serving {
namespace {

class FixedLatency : public LatencyPredictor {
 public:
  double PrefillSeconds(std::span<const int> l) const override { return 0.004 + 1e-5 * l.size(); }
  double DecodeSeconds(int64_t, int) const override { return 0.002; }
  double LoadSeconds() const override { return 0.01; }
  double KvMoveSeconds(double) const override { return 0.0005; }
};

constexpr double kTokenBytes = 1000;     // a block: 16 kB
constexpr int64_t kInstanceBlocks = 40;  // per instance, beside the weights
constexpr double kWeights = 1e6;
constexpr double kHostBytes = 160 * 16 * kTokenBytes;  // 160 blocks

std::vector<ServedModel> Models(int n) {
  std::vector<ServedModel> out;
  auto lat = std::make_shared<FixedLatency>();
  for (int i = 0; i < n; ++i) {
    ServedModel m;
    m.name = std::string(1, static_cast<char>('a' + i));
    m.weight_bytes = kWeights;
    m.kv_bytes_per_token = kTokenBytes;
    m.latency = lat;
    out.push_back(m);
  }
  return out;
}

// Holds KV as the CPU executor does and fails the test the moment an instance or the host pool
// would hold more than it has.
class CheckingExecutor : public Executor {
 public:
  CheckingExecutor(int instance, std::map<const ServingRequest*, int>* host_tokens)
      : instance_(instance), host_(host_tokens) {}

  ActionResult Run(const Action& a) override {
    ActionResult r;
    switch (a.kind) {
      case ActionKind::kSwitch:
        for (auto it = here_.begin(); it != here_.end();) {
          if (std::find(a.requests.begin(), a.requests.end(), it->first) == a.requests.end()) {
            (*host_)[it->first] = it->second;
            it = here_.erase(it);
          } else {
            ++it;
          }
        }
        for (ServingRequest* q : a.requests) {
          if (!Over(q)) MoveIn(q);
        }
        r.seconds = 0.01;
        break;
      case ActionKind::kPrefill:
        for (ServingRequest* q : a.requests) {
          if (Over(q)) continue;
          here_[q] = q->prompt_tokens + 1;
          Check();
          Step(q);
          if (a.kv_out_after && here_.count(q)) {
            (*host_)[q] = here_[q];
            here_.erase(q);
          }
        }
        r.seconds = 0.005;
        break;
      case ActionKind::kDecode:
        for (ServingRequest* q : a.requests) {
          if (Over(q)) continue;
          MoveIn(q);
          ++here_[q];
          Check();
          Step(q);
        }
        r.seconds = 0.002;
        break;
    }
    return r;
  }

 private:
  // Whether `q` takes no part in the step: ended before, or withdrawn (ended here, KV freed).
  bool Over(ServingRequest* q) {
    if (q->done()) return true;
    if (!q->cancel.raised()) return false;
    End(q);
    return true;
  }
  void MoveIn(ServingRequest* q) {
    if (here_.count(q)) return;
    auto it = host_->find(q);
    ASSERT_NE(it, host_->end()) << "request " << q->id << "'s KV is nowhere";
    here_[q] = it->second;
    host_->erase(it);
    Check();
  }
  // One token; the request's KV is freed when it has its last (as the CPU executor does).
  void Step(ServingRequest* q) {
    q->output.push_back(1);
    if (static_cast<int>(q->output.size()) >= q->max_output_tokens) End(q, FinishReason::kLength);
  }
  void End(ServingRequest* q, FinishReason why = FinishReason::kCancelled) {
    q->Finish(why, why == FinishReason::kCancelled ? "cancelled" : "");
    here_.erase(q);
    host_->erase(q);
  }
  void Check() {
    int64_t blocks = 0;
    for (const auto& [q, tokens] : here_) blocks += KvBlocksFor(tokens);
    ASSERT_LE(blocks, kInstanceBlocks) << "instance " << instance_ << " overflows";
  }
  int instance_;
  std::map<const ServingRequest*, int> here_;  // request -> tokens of KV here
  std::map<const ServingRequest*, int>* host_;
};

struct Outcome {
  int completed = 0, cancelled = 0, rejected = 0, failed = 0;
};

// A virtual-clock driver (the simulator's loop, with withdrawals as the real driver makes them).
Outcome Drive(const std::string& policy_name, int instances, int prefill, uint32_t seed) {
  ClusterSpec cluster;
  cluster.instances = instances;
  cluster.prefill_instances = prefill;
  cluster.instance_memory = kWeights + kInstanceBlocks * 16 * kTokenBytes;
  cluster.host_kv_bytes = kHostBytes;
  cluster.max_queue = 1000;
  cluster.max_decode_batch = 6;
  cluster.max_round_s = 0.05;
  cluster.multiplex_kv_reserve = 12 * 16 * kTokenBytes;  // room for 3 models on 2 instances
  auto policy = MakePolicy(policy_name, Models(3), cluster);
  EXPECT_TRUE(policy.ok()) << policy.message();
  std::map<const ServingRequest*, int> host;
  std::vector<std::unique_ptr<CheckingExecutor>> exec;
  for (int i = 0; i < instances; ++i) exec.push_back(std::make_unique<CheckingExecutor>(i, &host));

  std::mt19937 rng(seed);
  std::vector<ServingRequest> reqs(300);
  for (size_t i = 0; i < reqs.size(); ++i) {
    ServingRequest& r = reqs[i];
    r.id = i + 1;
    r.model = static_cast<int>(rng() % 3);
    r.arrival_s = 0.0005 * static_cast<double>(i);
    r.prompt_tokens = 1 + static_cast<int>(rng() % 300);
    r.max_output_tokens = 1 + static_cast<int>(rng() % 200);
    if (i % 50 == 7) r.prompt_tokens = 700;  // more than an instance holds: rejected up front
  }
  std::vector<double> cancel_at(reqs.size(), -1);
  for (size_t i = 0; i < reqs.size(); ++i) {
    if (rng() % 6 == 0) cancel_at[i] = reqs[i].arrival_s + 0.001 * (rng() % 400);
  }
  struct Busy {
    std::optional<Action> action;
    double start = 0, end = 0;
  };
  std::vector<Busy> busy(static_cast<size_t>(instances));
  double now = 0;
  size_t next = 0;
  Outcome out;
  std::vector<bool> accepted(reqs.size(), false);
  for (int guard = 0; guard < 2'000'000; ++guard) {
    // Next event: an arrival, a cancellation or a completion.
    double t = std::numeric_limits<double>::infinity();
    if (next < reqs.size()) t = reqs[next].arrival_s;
    for (size_t i = 0; i < reqs.size(); ++i) {
      if (cancel_at[i] >= now && cancel_at[i] < t && accepted[i] && !reqs[i].cancel.raised()) {
        t = cancel_at[i];
      }
    }
    for (const Busy& b : busy) {
      if (b.action) t = std::min(t, b.end);
    }
    if (t == std::numeric_limits<double>::infinity()) break;
    now = t;
    for (int i = 0; i < instances; ++i) {
      Busy& b = busy[static_cast<size_t>(i)];
      if (b.action && b.end <= now) {
        (*policy)->Complete(i, *b.action, {}, b.start, b.end);
        b.action.reset();
      }
    }
    while (next < reqs.size() && reqs[next].arrival_s <= now) {
      accepted[next] = (*policy)->Submit(&reqs[next], now);
      if (!accepted[next]) {
        // (Static multiplexing also refuses the model that fits on no instance beside the others.)
        EXPECT_TRUE(
            reqs[next].reject == RejectReason::kTooLarge ||
            (policy_name == "multiplexing" && reqs[next].reject == RejectReason::kNotPlaced))
            << reqs[next].error;
        EXPECT_TRUE(reqs[next].finished);
      }
      ++next;
    }
    for (size_t i = 0; i < reqs.size(); ++i) {
      if (cancel_at[i] >= 0 && cancel_at[i] <= now && accepted[i] && !reqs[i].cancel.raised()) {
        reqs[i].cancel.Raise();
        (*policy)->Withdraw(&reqs[i]);
      }
    }
    for (bool progress = true; progress;) {
      progress = false;
      for (int i = 0; i < instances; ++i) {
        Busy& b = busy[static_cast<size_t>(i)];
        if (b.action) continue;
        auto a = (*policy)->Next(i, now);
        if (!a) continue;
        for (const ServingRequest* q : a->requests) {
          EXPECT_FALSE(q->finished) << "request " << q->id << " is in an action after it left";
        }
        const ActionResult r = exec[static_cast<size_t>(i)]->Run(*a);
        if (::testing::Test::HasFatalFailure()) return out;
        b.action = std::move(a);
        b.start = now;
        b.end = now + r.seconds;
        progress = true;
      }
    }
    double host_blocks = 0;
    for (const auto& [q, tokens] : host) host_blocks += KvBlocksFor(tokens);
    EXPECT_LE(host_blocks * 16 * kTokenBytes, kHostBytes) << "the host pool overflows";
  }
  for (size_t i = 0; i < reqs.size(); ++i) {
    const ServingRequest& r = reqs[i];
    EXPECT_TRUE(r.finished) << policy_name << ": request " << r.id << " never left";
    if (!accepted[i]) {
      ++out.rejected;
    } else if (r.finish == FinishReason::kCancelled) {
      ++out.cancelled;
    } else if (r.failed()) {
      ++out.failed;
    } else {
      EXPECT_EQ(r.generated, r.max_output_tokens) << policy_name << ": request " << r.id;
      ++out.completed;
    }
  }
  EXPECT_TRUE(host.empty()) << "KV left in the host pool";
  if (auto* aegaeon = dynamic_cast<AegaeonPolicy*>(policy->get())) {
    EXPECT_DOUBLE_EQ(aegaeon->host_kv_charged(), 0.0) << "host KV charges leaked";
    EXPECT_EQ(aegaeon->waiting(), 0u);
  }
  return out;
}

TEST(KvAdmissionTest, NoInstanceOrHostPoolEverOverflowsAndNothingAcceptedFails) {
  for (const auto& [policy, instances, prefill] :
       {std::tuple<const char*, int, int>{"aegaeon", 3, 1},
        {"aegaeon", 2, 1},
        {"aegaeon-colocated", 2, 0},
        {"request-level", 2, 0},
        {"request-level-plus", 2, 0},
        {"multiplexing", 2, 0},
        {"dedicated", 3, 0}}) {
    for (uint32_t seed : {1u, 2u, 3u}) {
      const Outcome o = Drive(policy, instances, prefill, seed);
      if (::testing::Test::HasFatalFailure()) return;
      EXPECT_EQ(o.failed, 0) << policy << " seed " << seed;
      const std::string name = policy;
      if (name == "multiplexing" || name == "dedicated") {
        // A model's share of an instance is smaller: more requests can never fit it.
        EXPECT_GE(o.rejected, 6) << policy << " seed " << seed;
        EXPECT_GT(o.completed, 100) << policy << " seed " << seed;
      } else {
        EXPECT_EQ(o.rejected, 6) << policy << " seed " << seed;
        EXPECT_GT(o.completed, 200) << policy << " seed " << seed;
      }
      EXPECT_GT(o.cancelled, 0) << policy << " seed " << seed;
    }
  }
}

TEST(KvAdmissionTest, AServersPolicyKeepsSwitchSumsNotAHistory) {
  ClusterSpec cluster;
  cluster.instances = 2;
  cluster.prefill_instances = 1;
  cluster.instance_memory = kWeights + kInstanceBlocks * 16 * kTokenBytes;
  cluster.record_switches = false;
  auto policy = MakePolicy("aegaeon", Models(2), cluster);
  ASSERT_TRUE(policy.ok());
  Action a = SwitchAction(0, -1);
  ActionResult r;
  r.phases.weights_in_s = 0.5;
  (*policy)->Complete(0, a, r, 0, 0.5);
  (*policy)->Complete(0, SwitchAction(1, 0), r, 1, 1.5);
  EXPECT_EQ((*policy)->stats().switch_count, 2);
  EXPECT_DOUBLE_EQ((*policy)->stats().switch_phases.weights_in_s, 1.0);
  EXPECT_TRUE((*policy)->stats().switches.empty());
}

}  // namespace
}  // namespace llms::serving
