// Aegaeon's token-level auto-scaling: admission by KV space, prefill groups, decode rounds,
// switches and KV hand-off.
#include "serving/aegaeon_policy.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>

namespace llms::serving {

AegaeonPolicy::AegaeonPolicy(std::vector<ServedModel> models, const ClusterSpec& cluster,
                             bool colocated)
    : models_(std::move(models)),
      cluster_(cluster),
      colocated_(colocated),
      prefill_instances_(colocated ? 0 : cluster.prefill_instances),
      dispatcher_(
          colocated ? cluster.instances : cluster.prefill_instances,
          [this](int model, std::span<const int> lengths) {
            return models_[static_cast<size_t>(model)].latency->PrefillSeconds(lengths);
          },
          [this](int model) { return models_[static_cast<size_t>(model)].latency->LoadSeconds(); },
          cluster.max_prefill_group, [this](int model) { return CapacityBlocks(model); }),
      prefill_(static_cast<size_t>(colocated ? 0 : cluster.prefill_instances)),
      decode_(static_cast<size_t>(colocated ? cluster.instances
                                            : cluster.instances - cluster.prefill_instances)),
      queued_(models_.size(), 0) {
  stats_.busy_s.assign(static_cast<size_t>(cluster.instances), 0.0);
  record_switches_ = cluster.record_switches;
  host_budget_ = std::numeric_limits<double>::infinity();
  if (cluster.host_kv_bytes > 0) {
    // Each KV shape may keep one slab partly filled: that much of the pool is never charged.
    std::set<double> shapes;
    for (const ServedModel& m : models_) shapes.insert(m.kv_block_bytes());
    host_budget_ = std::max(0.0, cluster.host_kv_bytes - static_cast<double>(shapes.size()) *
                                                             cluster.host_kv_slab_bytes);
  }
}

int64_t AegaeonPolicy::CapacityBlocks(int model) const {
  return KvCapacityBlocks(models_[static_cast<size_t>(model)], cluster_.instance_memory);
}

double AegaeonPolicy::HostCost(const ServingRequest* r) const {
  const ServedModel& m = models_[static_cast<size_t>(r->model)];
  double block = m.kv_block_bytes();
  const double slab = cluster_.host_kv_slab_bytes;
  if (slab > 0 && block <= slab) block = slab / std::floor(slab / block);  // a slab's tail too
  return static_cast<double>(ReservedBlocks(r)) * block;
}

void AegaeonPolicy::NoteMemory(int model, int64_t kv_blocks) {
  const ServedModel& m = models_[static_cast<size_t>(model)];
  const double used = m.weight_bytes + static_cast<double>(kv_blocks) * m.kv_block_bytes();
  stats_.peak_memory_fraction =
      std::max(stats_.peak_memory_fraction, used / cluster_.instance_memory);
}

bool AegaeonPolicy::Submit(ServingRequest* r, double /*now*/) {
  const ServedModel& m = models_[static_cast<size_t>(r->model)];
  const int64_t blocks = ReservedBlocks(r);
  if (blocks > CapacityBlocks(r->model)) {
    Reject(r, RejectReason::kTooLarge,
           fmt::format("prompt + max tokens ({} tokens, {} KV blocks) exceed the KV space of {} on "
                       "one instance ({} blocks of {} tokens)",
                       r->reserved_tokens(), blocks, m.name, CapacityBlocks(r->model),
                       kKvBlockTokens));
    return false;
  }
  if (HostCost(r) > host_budget_) {
    Reject(r, RejectReason::kTooLarge,
           fmt::format("prompt + max tokens ({} tokens) need {:.1f} MiB of host KV pool but the "
                       "pool has {:.1f} MiB",
                       r->reserved_tokens(), HostCost(r) / (1 << 20), host_budget_ / (1 << 20)));
    return false;
  }
  int& queued = queued_[static_cast<size_t>(r->model)];
  if (queued >= cluster_.max_queue) {
    Reject(r, RejectReason::kQueueFull,
           fmt::format("the queue of {} is full ({} requests wait)", m.name, queued));
    return false;
  }
  ++queued;
  waiting_.push_back(r);
  Admit();
  return true;
}

void AegaeonPolicy::Admit() {
  while (!waiting_.empty()) {
    ServingRequest* r = waiting_.front();
    if (r->cancel.raised()) {
      waiting_.pop_front();
      --queued_[static_cast<size_t>(r->model)];
      RetireCancelled(r);
      continue;
    }
    const double cost = HostCost(r);
    if (host_used_ + cost > host_budget_) break;  // arrival order: the rest wait behind it
    host_used_ += cost;
    waiting_.pop_front();
    in_prefill_[r->id] = r;
    dispatcher_.Submit({r->id, r->model, r->prompt_tokens, KvBlocksFor(r->prompt_tokens + 1)});
  }
}

void AegaeonPolicy::Leave(ServingRequest* r) {
  host_used_ = std::max(0.0, host_used_ - HostCost(r));
  Retire(r);
}

void AegaeonPolicy::Withdraw(ServingRequest* r) {
  if (r->finished) return;
  if (auto it = std::find(waiting_.begin(), waiting_.end(), r); it != waiting_.end()) {
    waiting_.erase(it);
    --queued_[static_cast<size_t>(r->model)];
    RetireCancelled(r);
    return;
  }
  if (in_prefill_.count(r->id) && dispatcher_.Remove(r->id)) {
    in_prefill_.erase(r->id);
    --queued_[static_cast<size_t>(r->model)];
    r->Finish(FinishReason::kCancelled, "cancelled");
    Leave(r);
    Admit();
  }
  // Otherwise it is being prefilled or sits in a decode batch: the executor ends it at its next
  // step (its KV is freed there).
}

std::optional<Action> AegaeonPolicy::Next(int instance, double now) {
  if (colocated_) return NextColocated(instance, now);
  return IsPrefill(instance) ? NextPrefill(instance, now) : NextDecode(DecodeIndex(instance), now);
}

std::optional<Action> AegaeonPolicy::StartPrefillGroup(int p, int model) {
  PrefillGroup group = *dispatcher_.NextGroup(p);
  queued_[static_cast<size_t>(model)] -= static_cast<int>(group.requests.size());
  Action a;
  a.kind = ActionKind::kPrefill;
  a.model = model;
  a.kv_out_after = !colocated_;  // decode instances take the KV from the host pool
  std::vector<int> lengths;
  int64_t blocks = 0;
  for (const PrefillRequest& pr : group.requests) {
    ServingRequest* r = in_prefill_.at(pr.id);
    if (r->cancel.raised()) {  // withdrawn while queued: it leaves without any work
      in_prefill_.erase(pr.id);
      r->Finish(FinishReason::kCancelled, "cancelled");
      Leave(r);
      continue;
    }
    a.requests.push_back(r);
    lengths.push_back(r->prompt_tokens);
    blocks += pr.kv_blocks;
  }
  if (a.requests.empty()) {
    Admit();
    return std::nullopt;
  }
  NoteMemory(model, blocks);
  dispatcher_.SetRunning(p, models_[static_cast<size_t>(model)].latency->PrefillSeconds(lengths));
  return a;
}

std::optional<Action> AegaeonPolicy::NextPrefill(int p, double now) {
  PrefillInstance& in = prefill_[static_cast<size_t>(p)];
  for (;;) {
    const auto front = dispatcher_.QueuedModel(p, 0);
    if (!front) return std::nullopt;
    const int model = *front;
    if (model != in.resident) {
      // Switch first; the group stays queued (and open to joiners) until the model is in.
      Action a = SwitchAction(model, in.resident);
      if (in.prefetch_model == model) a.prefetched_s = std::max(0.0, now - in.prefetch_start);
      in.prefetch_model = -1;
      dispatcher_.SetResident(p, model);
      dispatcher_.SetRunning(p, models_[static_cast<size_t>(model)].latency->LoadSeconds());
      return a;
    }
    std::optional<Action> a = StartPrefillGroup(p, model);
    if (!a) continue;  // every request of the group was withdrawn: the next group
    // Prefetch the next group's model while this one runs, when both fit.
    int64_t tokens = 0;
    for (const ServingRequest* r : a->requests) tokens += r->prompt_tokens;
    if (const auto next = dispatcher_.QueuedModel(p, 0)) {
      const int nm = *next;
      const ServedModel& cur = models_[static_cast<size_t>(model)];
      const double need = cur.weight_bytes + models_[static_cast<size_t>(nm)].weight_bytes +
                          static_cast<double>(tokens) * cur.kv_bytes_per_token;
      if (nm != model && need <= cluster_.instance_memory) {
        in.prefetch_model = nm;
        in.prefetch_start = now;
      }
    }
    return a;
  }
}

Action AegaeonPolicy::SwitchToBatch(const DecodeInstance& in, const Batch& b) const {
  Action a = SwitchAction(b.model, in.resident);
  a.batch = b.id;
  for (const Batch& other : in.batches) {
    if (other.id == b.id) continue;
    for (ServingRequest* r : other.requests) {
      if (r->kv_on_instance) a.kv_out.push_back(r);
    }
  }
  a.requests = b.requests;
  return a;
}

std::optional<Action> AegaeonPolicy::NextColocated(int i, double now) {
  DecodeInstance& in = decode_[static_cast<size_t>(i)];
  for (;;) {
    const PrefillGroup* front = dispatcher_.QueuedGroup(i, 0);
    if (!front) return NextDecode(i, now);
    // Decoding is owed a step after every prefill (arrivals can never starve the batches), and a
    // batch just switched in runs its first step before anything else.
    const bool batch_waits_first_step =
        in.cursor >= 0 && in.cursor < static_cast<int>(in.batches.size()) &&
        in.batches[static_cast<size_t>(in.cursor)].id == in.resident_batch && in.slice_steps == 0;
    if (!in.batches.empty() && (in.decode_owed || batch_waits_first_step)) {
      return NextDecode(i, now);
    }
    const int model = front->model;
    // The group's prompts need room beside the KV the instance holds now.
    int64_t held = 0;
    for (const Batch& b : in.batches) {
      for (const ServingRequest* r : b.requests) held += r->kv_on_instance ? ReservedBlocks(r) : 0;
    }
    const bool fits = model == in.resident && held + front->kv_blocks <= CapacityBlocks(model);
    // A queued group takes its turn between decode slices (at once on an idle instance), so it
    // never cuts a slice short unless it needs no switch and fits beside the resident KV.
    const bool slice_running = !in.batches.empty() && now < in.slice_end;
    if (slice_running && !fits) return NextDecode(i, now);
    if (!fits) {
      // Switch to the group's model (or, for room, only move the KV out): every sequence's KV
      // leaves; the prefilled requests' KV then stays here.
      Action a = SwitchAction(model, in.resident);
      for (const Batch& b : in.batches) {
        for (ServingRequest* r : b.requests) {
          if (r->kv_on_instance) a.kv_out.push_back(r);
        }
      }
      in.pending_quota = 0;  // after the prefill, decoding starts a new slice
      in.prefetch_model = -1;
      dispatcher_.SetResident(i, model);
      dispatcher_.SetRunning(i, models_[static_cast<size_t>(model)].latency->LoadSeconds());
      return a;
    }
    in.slice_end = now;  // decoding resumes with a new slice after the prefill
    if (auto a = StartPrefillGroup(i, model)) return a;
  }
}

double AegaeonPolicy::StepSeconds(const Batch& b) const {
  const int n = std::min(static_cast<int>(b.requests.size()), cluster_.max_decode_batch);
  return models_[static_cast<size_t>(b.model)].latency->DecodeSeconds(b.sum_context, n);
}

bool AegaeonPolicy::CanPrefetch(const Batch& current, const Batch& next) const {
  const ServedModel& a = models_[static_cast<size_t>(current.model)];
  const ServedModel& b = models_[static_cast<size_t>(next.model)];
  const double need = a.weight_bytes + b.weight_bytes +
                      static_cast<double>(current.reserved_blocks) * a.kv_block_bytes() +
                      static_cast<double>(next.reserved_blocks) * b.kv_block_bytes();
  return current.model != next.model && need <= cluster_.instance_memory;
}

DecodeRound AegaeonPolicy::RoundOf(const std::vector<Batch>& batches) const {
  std::vector<double> steps, slo;
  for (const Batch& b : batches) {
    steps.push_back(StepSeconds(b));
    const double own = models_[static_cast<size_t>(b.model)].tpot_slo_s;
    slo.push_back(own > 0 ? own : cluster_.slo.tpot_s);
  }
  const size_t n = batches.size();
  if (n <= 1) return DecodeQuotas(steps, slo, 0.0, cluster_.max_round_s);
  // Switch cost of the round: each batch's weights load (none after a batch of the same model)
  // and its KV moves in, less what the previous slice hides by prefetching. Quotas depend on
  // that cost and the hidden part on the quotas, so iterate from the unhidden cost (a few steps
  // settle it).
  std::vector<double> load(n), kv(n);
  double c0 = 0;
  for (size_t i = 0; i < n; ++i) {
    const ServedModel& m = models_[static_cast<size_t>(batches[i].model)];
    const size_t prev = (i + n - 1) % n;
    load[i] = batches[prev].model == batches[i].model ? 0.0 : m.latency->LoadSeconds();
    kv[i] = m.latency->KvMoveSeconds(static_cast<double>(batches[i].sum_context) *
                                     m.kv_bytes_per_token);
    c0 += load[i] + 2 * kv[i];
  }
  DecodeRound round = DecodeQuotas(steps, slo, c0, cluster_.max_round_s);
  for (int iter = 0; iter < 4; ++iter) {
    double hidden_c0 = 0;
    for (size_t i = 0; i < n; ++i) {
      const size_t prev = (i + n - 1) % n;
      const double hidden = CanPrefetch(batches[prev], batches[i]) ? round.quota_s[prev] : 0.0;
      hidden_c0 += std::max(0.0, load[i] - hidden) + 2 * kv[i];
    }
    // Never plan on less than the KV moves plus a tenth of the loads, so quotas stay long enough
    // to do the hiding they are credited with.
    double floor = 0;
    for (size_t i = 0; i < n; ++i) floor += 0.1 * load[i] + 2 * kv[i];
    const double next = std::max(hidden_c0, floor);
    if (std::abs(next - c0) < 1e-3) break;
    c0 = 0.5 * (c0 + next);
    round = DecodeQuotas(steps, slo, c0, cluster_.max_round_s);
  }
  return round;
}

DecodeRound AegaeonPolicy::CurrentRound(int decode_instance) const {
  const auto& batches = decode_[static_cast<size_t>(decode_instance)].batches;
  if (batches.empty()) return {};
  return RoundOf(batches);
}

std::vector<AegaeonPolicy::BatchView> AegaeonPolicy::Batches(int decode_instance) const {
  std::vector<BatchView> out;
  for (const Batch& b : decode_[static_cast<size_t>(decode_instance)].batches) {
    out.push_back({b.model, b.requests.size(), b.reserved_blocks});
  }
  return out;
}

std::optional<Action> AegaeonPolicy::NextDecode(int d, double now) {
  DecodeInstance& in = decode_[static_cast<size_t>(d)];
  if (in.batches.empty()) return std::nullopt;
  const int n = static_cast<int>(in.batches.size());
  auto decode_action = [&](const Batch& b) {
    Action a;
    a.kind = ActionKind::kDecode;
    a.model = b.model;
    a.batch = b.id;
    a.requests = b.requests;  // at most max_decode_batch (PlaceForDecode)
    return a;
  };
  // The current slice goes on until its quota is spent, and always runs one step: a switch is
  // never followed by another without progress (quotas can be shorter than a step).
  if (in.cursor >= 0 && in.cursor < n &&
      in.batches[static_cast<size_t>(in.cursor)].id == in.resident_batch &&
      (now < in.slice_end || in.slice_steps == 0)) {
    return decode_action(in.batches[static_cast<size_t>(in.cursor)]);
  }
  // A new slice: the next batch in round-robin order, for its quota of this round.
  in.cursor = (in.cursor + 1) % n;
  const Batch& b = in.batches[static_cast<size_t>(in.cursor)];
  const DecodeRound round = RoundOf(in.batches);
  const double quota = round.quota_s[static_cast<size_t>(in.cursor)];
  if (b.id != in.resident_batch) {
    Action a = SwitchToBatch(in, b);
    if (b.model != in.resident && in.prefetch_model == b.model) {
      a.prefetched_s = std::max(0.0, now - in.prefetch_start);
    }
    in.prefetch_model = -1;
    in.pending_quota = quota;
    return a;
  }
  in.slice_end = now + quota;
  in.slice_steps = 0;
  StartPrefetch(in, now);
  return decode_action(b);
}

void AegaeonPolicy::StartPrefetch(DecodeInstance& in, double now) {
  in.prefetch_model = -1;
  const size_t n = in.batches.size();
  // Only while a slice of the resident batch runs (not after a colocated prefill's switch).
  if (n < 2 || in.cursor < 0 || static_cast<size_t>(in.cursor) >= n ||
      in.batches[static_cast<size_t>(in.cursor)].id != in.resident_batch) {
    return;
  }
  const Batch& cur = in.batches[static_cast<size_t>(in.cursor)];
  const Batch& next = in.batches[(static_cast<size_t>(in.cursor) + 1) % n];
  if (CanPrefetch(cur, next)) {
    in.prefetch_model = next.model;
    in.prefetch_start = now;
  }
}

double AegaeonPolicy::DecodeBacklog(const DecodeInstance& in) const {
  double s = 0;
  for (const Batch& b : in.batches) {
    int remaining = 0;
    for (const ServingRequest* r : b.requests) {
      remaining = std::max(remaining, r->max_output_tokens - r->generated);
    }
    s += models_[static_cast<size_t>(b.model)].latency->LoadSeconds() + StepSeconds(b) * remaining;
  }
  return s;
}

void AegaeonPolicy::OnComplete(int instance, const Action& action, const ActionResult& /*result*/,
                               double /*start*/, double end) {
  OnCompleteImpl(instance, action, end);
  // Colocated instances: prefill placement sees the decode work an instance already has.
  if (colocated_) {
    dispatcher_.SetRunning(instance, DecodeBacklog(decode_[static_cast<size_t>(instance)]));
  }
}

void AegaeonPolicy::OnCompleteImpl(int instance, const Action& action, double end) {
  if (IsPrefill(instance)) {
    PrefillInstance& in = prefill_[static_cast<size_t>(instance)];
    if (action.kind == ActionKind::kSwitch) {
      in.resident = action.model;
      return;
    }
    FinishPrefill(instance, action, end);
    return;
  }
  DecodeInstance& in = decode_[static_cast<size_t>(DecodeIndex(instance))];
  if (colocated_ && action.kind == ActionKind::kPrefill) {
    EmitTokens(action, end);
    in.resident_batch = 0;  // the group's KV sits beside the batches' until the next switch
    in.decode_owed = true;
    for (ServingRequest* r : action.requests) {
      in_prefill_.erase(r->id);
      r->kv_on_instance = true;  // it stays here
      if (r->done()) {
        Leave(r);
      } else {
        PlaceForDecode(r, instance);
      }
    }
    Admit();
    return;
  }
  if (action.kind == ActionKind::kSwitch) {
    in.resident = action.model;
    in.resident_batch = action.batch;
    if (colocated_) dispatcher_.SetResident(instance, action.model);
    for (ServingRequest* r : action.kv_out) r->kv_on_instance = false;
    for (ServingRequest* r : action.requests) r->kv_on_instance = !r->done();
    in.slice_end = end + in.pending_quota;
    in.slice_steps = 0;
    Sweep(in, end);  // requests that ended during the move (a cancellation)
    StartPrefetch(in, end);
    return;
  }
  FinishDecode(in, action, end);
}

void AegaeonPolicy::FinishPrefill(int p, const Action& action, double end) {
  dispatcher_.SetRunning(p, 0.0);
  EmitTokens(action, end);
  for (ServingRequest* r : action.requests) {
    in_prefill_.erase(r->id);
    r->kv_on_instance = false;  // handed to the host KV pool
    if (r->done()) {
      Leave(r);
    } else {
      PlaceForDecode(r);
    }
  }
  Admit();
}

void AegaeonPolicy::PlaceForDecode(ServingRequest* r, int only_instance) {
  const int64_t capacity = CapacityBlocks(r->model);
  const int64_t need = ReservedBlocks(r);
  // Join a same-model batch with room, on the instance with the lowest alpha.
  int best = -1;
  size_t best_batch = 0;
  double best_alpha = std::numeric_limits<double>::infinity();
  for (size_t d = 0; d < decode_.size(); ++d) {
    if (only_instance >= 0 && static_cast<int>(d) != only_instance) continue;
    auto& batches = decode_[d].batches;
    double alpha = -1;  // computed once per instance, when a batch there has room
    for (size_t i = 0; i < batches.size(); ++i) {
      const Batch& b = batches[i];
      if (b.model != r->model || b.reserved_blocks + need > capacity ||
          static_cast<int>(b.requests.size()) >= cluster_.max_decode_batch) {
        continue;
      }
      if (alpha < 0) alpha = RoundOf(batches).alpha;
      if (alpha < best_alpha) {
        best = static_cast<int>(d);
        best_batch = i;
        best_alpha = alpha;
      }
      break;
    }
  }
  if (best < 0) {
    // Open a batch where the resulting round's alpha is lowest (fewer batches on ties).
    size_t fewest = std::numeric_limits<size_t>::max();
    for (size_t d = 0; d < decode_.size(); ++d) {
      if (only_instance >= 0 && static_cast<int>(d) != only_instance) continue;
      std::vector<Batch> trial = decode_[d].batches;
      trial.push_back({0, r->model, {r}, r->context(), need});
      const double alpha = RoundOf(trial).alpha;
      if (alpha < best_alpha || (alpha == best_alpha && trial.size() < fewest)) {
        best = static_cast<int>(d);
        best_alpha = alpha;
        fewest = trial.size();
      }
    }
    auto& batches = decode_[static_cast<size_t>(best)].batches;
    batches.push_back({next_batch_id_++, r->model, {}, 0, 0});
    best_batch = batches.size() - 1;
  }
  Batch& b = decode_[static_cast<size_t>(best)].batches[best_batch];
  b.requests.push_back(r);
  b.sum_context += r->context();
  b.reserved_blocks += need;
  NoteMemory(r->model, b.reserved_blocks);
}

void AegaeonPolicy::FinishDecode(DecodeInstance& in, const Action& action, double end) {
  ++in.slice_steps;
  in.decode_owed = false;
  for (ServingRequest* r : action.requests) r->kv_on_instance = !r->done();
  EmitTokens(action, end);
  Sweep(in, end);
}

void AegaeonPolicy::Sweep(DecodeInstance& in, double end) {
  bool left = false;
  for (size_t i = 0; i < in.batches.size();) {
    Batch& b = in.batches[i];
    size_t kept = 0;
    b.sum_context = 0;
    for (ServingRequest* r : b.requests) {
      if (r->done()) {
        b.reserved_blocks -= ReservedBlocks(r);
        r->kv_on_instance = false;
        Leave(r);
        left = true;
      } else {
        b.sum_context += r->context();
        b.requests[kept++] = r;
      }
    }
    b.requests.resize(kept);
    if (!b.requests.empty()) {
      ++i;
      continue;
    }
    const int index = static_cast<int>(i);
    if (b.id == in.resident_batch) in.resident_batch = 0;
    in.batches.erase(in.batches.begin() + static_cast<std::ptrdiff_t>(i));
    if (index == in.cursor) in.slice_end = end;  // its slice ends with it
    if (index <= in.cursor) --in.cursor;         // the next slice goes to the batch after it
  }
  if (left) Admit();
}

}  // namespace llms::serving
