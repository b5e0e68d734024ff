// Aegaeon's token-level auto-scaling: prefill groups, decode rounds, switches and KV hand-off.
#include "serving/aegaeon_policy.h"

#include <algorithm>
#include <cmath>
#include <limits>

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
          [this](const std::string& model, std::span<const int> lengths) {
            return models_[static_cast<size_t>(model_index_.at(model))].latency->PrefillSeconds(
                lengths);
          },
          [this](const std::string& model) {
            return models_[static_cast<size_t>(model_index_.at(model))].latency->LoadSeconds();
          },
          cluster.max_prefill_group),
      prefill_(static_cast<size_t>(colocated ? 0 : cluster.prefill_instances)),
      decode_(static_cast<size_t>(colocated ? cluster.instances
                                            : cluster.instances - cluster.prefill_instances)),
      queued_(models_.size(), 0) {
  for (size_t i = 0; i < models_.size(); ++i) model_index_[models_[i].name] = static_cast<int>(i);
  stats_.busy_s.assign(static_cast<size_t>(cluster.instances), 0.0);
}

int64_t AegaeonPolicy::KvCapacityTokens(int model) const {
  const ServedModel& m = models_[static_cast<size_t>(model)];
  return static_cast<int64_t>((cluster_.instance_memory - m.weight_bytes) / m.kv_bytes_per_token);
}

void AegaeonPolicy::NoteMemory(int model, int64_t kv_tokens) {
  const ServedModel& m = models_[static_cast<size_t>(model)];
  const double used = m.weight_bytes + static_cast<double>(kv_tokens) * m.kv_bytes_per_token;
  stats_.peak_memory_fraction =
      std::max(stats_.peak_memory_fraction, used / cluster_.instance_memory);
}

bool AegaeonPolicy::Submit(ServingRequest* r, double /*now*/) {
  const ServedModel& m = models_[static_cast<size_t>(r->model)];
  if (r->reserved_tokens() > KvCapacityTokens(r->model)) {
    Reject(r, fmt::format("prompt + max tokens ({}) exceed the KV capacity of {} on one instance "
                          "({} tokens)",
                          r->reserved_tokens(), m.name, KvCapacityTokens(r->model)));
    return false;
  }
  int& queued = queued_[static_cast<size_t>(r->model)];
  if (queued >= cluster_.max_queue) {
    Reject(r, fmt::format("queue full: {} requests of {} wait for prefill", queued, m.name));
    return false;
  }
  ++queued;
  in_prefill_[r->id] = r;
  dispatcher_.Submit({r->id, m.name, r->prompt_tokens});
  return true;
}

std::optional<Action> AegaeonPolicy::Next(int instance, double now) {
  if (colocated_) return NextColocated(instance, now);
  return IsPrefill(instance) ? NextPrefill(instance, now) : NextDecode(DecodeIndex(instance), now);
}

Action AegaeonPolicy::StartPrefillGroup(int p, int model) {
  PrefillGroup group = *dispatcher_.NextGroup(p);
  Action a;
  a.kind = ActionKind::kPrefill;
  a.model = model;
  a.kv_out_after = !colocated_;  // decode instances take the KV from the host pool
  std::vector<int> lengths;
  int64_t tokens = 0;
  for (const PrefillRequest& pr : group.requests) {
    ServingRequest* r = in_prefill_.at(pr.id);
    a.requests.push_back(r);
    lengths.push_back(r->prompt_tokens);
    tokens += r->prompt_tokens;
  }
  queued_[static_cast<size_t>(model)] -= static_cast<int>(group.requests.size());
  NoteMemory(model, tokens);
  dispatcher_.SetRunning(p, models_[static_cast<size_t>(model)].latency->PrefillSeconds(lengths));
  return a;
}

std::optional<Action> AegaeonPolicy::NextPrefill(int p, double now) {
  PrefillInstance& in = prefill_[static_cast<size_t>(p)];
  const auto front = dispatcher_.QueuedModel(p, 0);
  if (!front) return std::nullopt;
  const int model = model_index_.at(*front);
  if (model != in.resident) {
    // Switch first; the group stays queued (and open to joiners) until the model is in.
    Action a = SwitchAction(model, in.resident);
    if (in.prefetch_model == model) a.prefetched_s = std::max(0.0, now - in.prefetch_start);
    in.prefetch_model = -1;
    dispatcher_.SetResident(p, *front);
    dispatcher_.SetRunning(p, models_[static_cast<size_t>(model)].latency->LoadSeconds());
    return a;
  }
  Action a = StartPrefillGroup(p, model);
  // Prefetch the next group's model while this one runs, when both fit.
  int64_t tokens = 0;
  for (const ServingRequest* r : a.requests) tokens += r->prompt_tokens;
  if (const auto next = dispatcher_.QueuedModel(p, 0)) {
    const int nm = model_index_.at(*next);
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

std::optional<Action> AegaeonPolicy::NextColocated(int i, double now) {
  DecodeInstance& in = decode_[static_cast<size_t>(i)];
  const auto front = dispatcher_.QueuedModel(i, 0);
  // A queued group takes its turn between decode slices (at once on an idle instance), so it
  // never cuts a slice short; one of the resident model needs no switch and goes first.
  const bool slice_running = !in.batches.empty() && now < in.slice_end;
  if (!front || (slice_running && model_index_.at(*front) != in.resident)) {
    return NextDecode(i, now);
  }
  const int model = model_index_.at(*front);
  if (model != in.resident) {
    // Prefill goes first: switch to the group's model, taking the resident batch's KV out and
    // bringing in the KV of this model's batch here, if any.
    Action a = SwitchAction(model, in.resident);
    for (const Batch& b : in.batches) {
      for (ServingRequest* r : b.requests) {
        if (b.model == in.resident && r->kv_on_instance) a.kv_out.push_back(r);
        if (b.model == model) a.requests.push_back(r);
      }
    }
    in.pending_quota = 0;  // after the prefill, decoding starts a new slice
    in.prefetch_model = -1;
    dispatcher_.SetResident(i, *front);
    dispatcher_.SetRunning(i, models_[static_cast<size_t>(model)].latency->LoadSeconds());
    return a;
  }
  in.slice_end = now;  // decoding resumes with a new slice after the prefill
  return StartPrefillGroup(i, model);
}

double AegaeonPolicy::StepSeconds(const Batch& b) const {
  const int n = std::min(static_cast<int>(b.requests.size()), cluster_.max_decode_batch);
  return models_[static_cast<size_t>(b.model)].latency->DecodeSeconds(b.sum_context, n);
}

bool AegaeonPolicy::CanPrefetch(const Batch& current, const Batch& next) const {
  const ServedModel& a = models_[static_cast<size_t>(current.model)];
  const ServedModel& b = models_[static_cast<size_t>(next.model)];
  const double need = a.weight_bytes + b.weight_bytes +
                      static_cast<double>(current.reserved_tokens) * a.kv_bytes_per_token +
                      static_cast<double>(next.reserved_tokens) * b.kv_bytes_per_token;
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
  // Switch cost of the round: each batch's weights load (and its KV moves in), less what the
  // previous slice hides by prefetching. Quotas depend on that cost and the hidden part on the
  // quotas, so iterate from the unhidden cost (a few steps settle it).
  std::vector<double> load(n), kv(n);
  double c0 = 0;
  for (size_t i = 0; i < n; ++i) {
    const ServedModel& m = models_[static_cast<size_t>(batches[i].model)];
    load[i] = m.latency->LoadSeconds();
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

std::optional<Action> AegaeonPolicy::NextDecode(int d, double now) {
  DecodeInstance& in = decode_[static_cast<size_t>(d)];
  if (in.batches.empty()) return std::nullopt;
  const int n = static_cast<int>(in.batches.size());
  auto decode_action = [&](const Batch& b) {
    Action a;
    a.kind = ActionKind::kDecode;
    a.model = b.model;
    const size_t count =
        std::min(b.requests.size(), static_cast<size_t>(cluster_.max_decode_batch));
    a.requests.assign(b.requests.begin(), b.requests.begin() + static_cast<std::ptrdiff_t>(count));
    return a;
  };
  if (in.cursor >= 0 && in.cursor < n &&
      in.batches[static_cast<size_t>(in.cursor)].model == in.resident && now < in.slice_end) {
    return decode_action(in.batches[static_cast<size_t>(in.cursor)]);
  }
  // A new slice: the next batch in round-robin order, for its quota of this round.
  in.cursor = (in.cursor + 1) % n;
  const Batch& b = in.batches[static_cast<size_t>(in.cursor)];
  const DecodeRound round = RoundOf(in.batches);
  const double quota = round.quota_s[static_cast<size_t>(in.cursor)];
  if (b.model != in.resident) {
    Action a = SwitchAction(b.model, in.resident);
    for (const Batch& out : in.batches) {
      if (out.model != in.resident) continue;
      for (ServingRequest* r : out.requests) {
        if (r->kv_on_instance) a.kv_out.push_back(r);
      }
    }
    a.requests = b.requests;
    if (in.prefetch_model == b.model) a.prefetched_s = std::max(0.0, now - in.prefetch_start);
    in.prefetch_model = -1;
    in.pending_quota = quota;
    return a;
  }
  in.slice_end = now + quota;
  StartPrefetch(in, now);
  return decode_action(b);
}

void AegaeonPolicy::StartPrefetch(DecodeInstance& in, double now) {
  in.prefetch_model = -1;
  const size_t n = in.batches.size();
  // Only while a slice of the resident model's batch runs (not after a colocated prefill's switch).
  if (n < 2 || in.cursor < 0 || static_cast<size_t>(in.cursor) >= n ||
      in.batches[static_cast<size_t>(in.cursor)].model != in.resident) {
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

void AegaeonPolicy::OnComplete(int instance, const Action& action, const ActionResult& result,
                               double start, double end) {
  OnCompleteImpl(instance, action, result, start, end);
  // Colocated instances: prefill placement sees the decode work an instance already has.
  if (colocated_) {
    dispatcher_.SetRunning(instance, DecodeBacklog(decode_[static_cast<size_t>(instance)]));
  }
}

void AegaeonPolicy::OnCompleteImpl(int instance, const Action& action,
                                   const ActionResult& /*result*/, double /*start*/, double end) {
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
    for (ServingRequest* r : action.requests) {
      in_prefill_.erase(r->id);
      r->kv_on_instance = true;  // it stays here
      if (!r->done()) PlaceForDecode(r, instance);
    }
    return;
  }
  if (action.kind == ActionKind::kSwitch) {
    in.resident = action.model;
    if (colocated_) {
      dispatcher_.SetResident(instance, models_[static_cast<size_t>(action.model)].name);
    }
    for (ServingRequest* r : action.kv_out) r->kv_on_instance = false;
    for (ServingRequest* r : action.requests) r->kv_on_instance = true;
    in.slice_end = end + in.pending_quota;
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
    if (!r->done()) PlaceForDecode(r);
  }
}

void AegaeonPolicy::PlaceForDecode(ServingRequest* r, int only_instance) {
  const int64_t capacity = KvCapacityTokens(r->model);
  // Join a same-model batch whose KV still fits, on the instance with the lowest alpha.
  int best = -1;
  size_t best_batch = 0;
  double best_alpha = std::numeric_limits<double>::infinity();
  for (size_t d = 0; d < decode_.size(); ++d) {
    if (only_instance >= 0 && static_cast<int>(d) != only_instance) continue;
    auto& batches = decode_[d].batches;
    for (size_t i = 0; i < batches.size(); ++i) {
      if (batches[i].model != r->model) continue;
      if (batches[i].reserved_tokens + r->reserved_tokens() > capacity) continue;
      const double alpha = RoundOf(batches).alpha;
      if (alpha < best_alpha) {
        best = static_cast<int>(d);
        best_batch = i;
        best_alpha = alpha;
      }
    }
  }
  if (best < 0) {
    // Open a batch where the resulting round's alpha is lowest (fewer batches on ties).
    size_t fewest = std::numeric_limits<size_t>::max();
    for (size_t d = 0; d < decode_.size(); ++d) {
      if (only_instance >= 0 && static_cast<int>(d) != only_instance) continue;
      std::vector<Batch> trial = decode_[d].batches;
      trial.push_back({r->model, {r}, r->context(), r->reserved_tokens()});
      const double alpha = RoundOf(trial).alpha;
      if (alpha < best_alpha || (alpha == best_alpha && trial.size() < fewest)) {
        best = static_cast<int>(d);
        best_alpha = alpha;
        fewest = trial.size();
      }
    }
    auto& batches = decode_[static_cast<size_t>(best)].batches;
    batches.push_back({r->model, {}, 0, 0});
    best_batch = batches.size() - 1;
  }
  Batch& b = decode_[static_cast<size_t>(best)].batches[best_batch];
  b.requests.push_back(r);
  b.sum_context += r->context();
  b.reserved_tokens += r->reserved_tokens();
  NoteMemory(r->model, b.reserved_tokens);
}

void AegaeonPolicy::FinishDecode(DecodeInstance& in, const Action& action, double end) {
  auto it = std::find_if(in.batches.begin(), in.batches.end(),
                         [&](const Batch& b) { return b.model == action.model; });
  Batch& b = *it;
  for (ServingRequest* r : action.requests) r->kv_on_instance = true;
  EmitTokens(action, end);
  b.reserved_tokens -= RemoveDone(&b.requests);
  b.sum_context = 0;
  for (const ServingRequest* r : b.requests) b.sum_context += r->context();
  if (b.requests.empty()) {
    const int index = static_cast<int>(it - in.batches.begin());
    in.batches.erase(it);
    if (index == in.cursor) in.slice_end = end;  // its slice ends with it
    if (index <= in.cursor) --in.cursor;         // the next slice goes to the batch after it
  }
}

}  // namespace llms::serving
