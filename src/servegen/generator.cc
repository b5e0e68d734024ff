// Generator implementation: per-client renewal processes in operational time, chunked by trace
// window, merged across clients in timestamp order.
#include "servegen/generator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "core/distributions.h"
#include "core/log.h"
#include "core/thread_pool.h"
#include "servegen/length_sampler.h"
#include "servegen/pool_filter.h"

namespace llms::servegen {

Result<Coupling> ParseCoupling(const std::string& text) {
  if (text == "auto") return Coupling::kAuto;
  if (text == "comonotone") return Coupling::kComonotone;
  if (text == "independent") return Coupling::kIndependent;
  if (text == "copula" || text == "gaussian") return Coupling::kGaussianCopula;
  return Result<Coupling>::Error(fmt::format(
      "--coupling '{}': expected auto, comonotone, independent or copula (with --rho)", text));
}

Result<ArrivalChoice> ParseArrivalChoice(const std::string& text) {
  if (text == "trace") return ArrivalChoice::kTrace;
  if (text == "exponential" || text == "poisson") return ArrivalChoice::kExponential;
  if (text == "gamma") return ArrivalChoice::kGamma;
  if (text == "weibull") return ArrivalChoice::kWeibull;
  return Result<ArrivalChoice>::Error(
      fmt::format("--arrival '{}': expected trace, exponential, gamma or weibull", text));
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Requests per generation chunk (see Run): small enough to stay in cache through merge and sink.
constexpr double kChunkRequests = 16384;

// The inter-arrival law of one client-window, normalised to mean 1 in operational time.
struct GapLaw {
  ArrivalPattern pattern = ArrivalPattern::kExponential;
  double shape = 1.0;
  double inv_mean = 1.0;  // Weibull: 1 / Gamma(1 + 1/c)
  double inv_shape = 1.0;

  static GapLaw For(const TraceWindow& w, ArrivalChoice choice) {
    GapLaw g;
    switch (choice) {
      case ArrivalChoice::kTrace:
        g.pattern = w.pattern == ArrivalPattern::kNone ? ArrivalPattern::kExponential : w.pattern;
        g.shape = w.shape;
        break;
      case ArrivalChoice::kExponential:
        g.pattern = ArrivalPattern::kExponential;
        break;
      case ArrivalChoice::kGamma:
        g.pattern = w.cv > 0 ? ArrivalPattern::kGamma : ArrivalPattern::kExponential;
        g.shape = w.cv > 0 ? 1.0 / (w.cv * w.cv) : 1.0;
        break;
      case ArrivalChoice::kWeibull:
        g.pattern = w.cv > 0 ? ArrivalPattern::kWeibull : ArrivalPattern::kExponential;
        g.shape = w.cv > 0 ? WeibullShapeForCv(w.cv) : 1.0;
        break;
    }
    if (g.pattern == ArrivalPattern::kWeibull) {
      g.inv_mean = std::exp(-std::lgamma(1.0 + 1.0 / g.shape));
    }
    g.inv_shape = 1.0 / g.shape;
    return g;
  }
  double Gap(Rng& rng) const {
    switch (pattern) {
      case ArrivalPattern::kGamma:
        return SampleGamma(shape, rng) * inv_shape;
      case ArrivalPattern::kWeibull:  // E^(1/c) as exp(log(E) / c): cheaper than pow
        return std::exp(std::log(SampleExponential(rng)) * inv_shape) * inv_mean;
      default:
        return SampleExponential(rng);
    }
  }
  // Forward-recurrence time of the stationary process: U times a length-biased gap.
  double EquilibriumGap(Rng& rng) const {
    switch (pattern) {
      case ArrivalPattern::kGamma:
        return rng.NextOpenUnit() * SampleGamma(shape + 1.0, rng) / shape;
      case ArrivalPattern::kWeibull:
        return rng.NextOpenUnit() * std::pow(SampleGamma(1.0 + 1.0 / shape, rng), 1.0 / shape) *
               inv_mean;
      default:
        return SampleExponential(rng);
    }
  }
};

// The span's windows on the relative time axis and the rate's integral at their boundaries.
struct SpanGrid {
  size_t first = 0;                 // absolute pool window index of span window 0
  std::vector<double> bounds;       // nw + 1 relative boundaries
  std::vector<double> lambda;       // rate integral at each boundary
  std::vector<double> total_rate;   // W[j]: sum of client weights in span window j
  std::vector<double> last_before;  // largest double below bounds[j + 1]
  std::vector<bool> flat;           // R is constant over span window j
  size_t size() const { return bounds.size() - 1; }
};

struct Arrival {
  double t;
  uint32_t window;
};

struct ClientProcess {
  Rng rng{0};
  std::vector<double> u;               // cumulative operational time at span boundaries (nw + 1)
  std::vector<double> seconds_per_op;  // per window where R is flat: seconds per unit of u; else 0
  double u_next = 0.0;
  size_t j = 0;
  bool started = false;
  bool done = false;
  size_t law_for = SIZE_MAX;
  GapLaw law;
  size_t lengths_for = SIZE_MAX;
  const LengthWindow* lengths = nullptr;
  Rng length_rng{0};         // a separate stream for request contents
  std::vector<Arrival> out;  // this chunk's arrivals, in time order
};

class Engine {
 public:
  Engine(const ClientPool& pool, const RateFunction& rate, const GenerateOptions& opt)
      : pool_(pool),
        rate_(rate),
        opt_(opt),
        threads_(std::max(
            1, std::min(opt.threads, static_cast<int>(std::max<size_t>(1, pool.clients.size()))))) {
    for (const Client& c : pool.clients) {
      Coupling coupling = opt.coupling;
      double rho = opt.rho;
      if (coupling == Coupling::kAuto) {
        coupling = c.io_rank_corr ? Coupling::kGaussianCopula : Coupling::kComonotone;
        // The Gaussian copula's correlation for a Spearman correlation (Pearson's relation).
        if (c.io_rank_corr) rho = 2.0 * std::sin(M_PI / 6.0 * *c.io_rank_corr);
      }
      lengths_.emplace_back(pool.category, coupling, rho, opt.compat);
    }
    const SessionOptions& so = opt.sessions;
    bool any_conversations = false;
    for (const Client& c : pool.clients) any_conversations |= so.conversations && c.conversations;
    if (!opt.compat && (so.block_tokens > 0 || !so.slo_classes.empty() || any_conversations)) {
      SessionOptions bounded = so;
      bounded.span_end_s = std::min(so.span_end_s, opt.duration);
      sessions_.emplace(pool, bounded, opt.seed);
    }
  }

  Result<GenerateSummary> Run(const RequestSink& sink, const ProgressFn& progress) {
    BuildGrid();
    GenerateSummary summary;
    summary.per_client.assign(pool_.clients.size(), 0);
    procs_.resize(pool_.clients.size());
    for (size_t i = 0; i < procs_.size(); ++i) InitClient(i);
    for (size_t j = 0; j < grid_.size(); ++j) {
      const double window_mass = grid_.lambda[j + 1] - grid_.lambda[j];
      if (grid_.total_rate[j] > 0) {
        summary.expected_requests += window_mass;
      } else if (window_mass > 0) {
        summary.warnings.push_back(
            fmt::format("window at {:.0f} s: target rate {:.3g} req/s but no selected client is "
                        "active; no requests there",
                        grid_.bounds[j], window_mass / (grid_.bounds[j + 1] - grid_.bounds[j])));
      }
    }
    RequestBatch batch;
    for (size_t j = 0; j < grid_.size(); ++j) {
      // Split big windows into chunks of about kChunkRequests requests, so that a chunk's
      // arrivals and requests stay in cache between generation, merge and the sink.
      const double mass = grid_.lambda[j + 1] - grid_.lambda[j];
      const int pieces =
          opt_.compat ? 1 : std::max(1, static_cast<int>(std::ceil(mass / kChunkRequests)));
      for (int p = 0; p < pieces; ++p) {
        const double c0 = grid_.bounds[j] + (grid_.bounds[j + 1] - grid_.bounds[j]) * p / pieces;
        const double c1 =
            p + 1 == pieces
                ? grid_.bounds[j + 1]
                : grid_.bounds[j] + (grid_.bounds[j + 1] - grid_.bounds[j]) * (p + 1) / pieces;
        RunChunk(j, c0, c1);
        Merge(batch, summary.per_client);
        summary.requests += static_cast<int64_t>(batch.requests.size());
        if (!batch.requests.empty()) LLMS_RETURN_IF_ERROR(sink(batch));
        if (progress) progress(c1 / opt_.duration, summary.requests);
        spdlog::debug("chunk [{:.1f}, {:.1f}) s: {} requests", c0, c1, batch.requests.size());
      }
    }
    return summary;
  }

 private:
  double Weight(size_t client, size_t j) const {
    const Client& c = pool_.clients[client];
    const TraceWindow& w = c.windows[grid_.first + j];
    return w.active() ? w.rate * c.rate_scale : 0.0;
  }

  void BuildGrid() {
    const auto [first, last] = SpanWindows(pool_, opt_.span_start, opt_.duration);
    grid_.first = first;
    const double w = static_cast<double>(pool_.window_seconds);
    grid_.bounds.push_back(0.0);
    for (size_t k = first; k < last; ++k) {
      const double end =
          static_cast<double>(pool_.start) + static_cast<double>(k + 1) * w - opt_.span_start;
      grid_.bounds.push_back(std::min(end, opt_.duration));
    }
    for (double b : grid_.bounds) grid_.lambda.push_back(rate_.Integral(b));
    for (size_t j = 0; j + 1 < grid_.bounds.size(); ++j) {
      grid_.last_before.push_back(std::nextafter(grid_.bounds[j + 1], 0.0));
      double value = 0;
      grid_.flat.push_back(rate_.ConstantOn(grid_.bounds[j], grid_.bounds[j + 1], &value) &&
                           value > 0);
    }
    grid_.total_rate.assign(grid_.size(), 0.0);
    for (size_t j = 0; j < grid_.size(); ++j) {
      for (size_t i = 0; i < pool_.clients.size(); ++i) grid_.total_rate[j] += Weight(i, j);
    }
  }

  void InitClient(size_t i) {
    ClientProcess& p = procs_[i];
    const uint64_t stream = Rng::HashString(pool_.clients[i].id);
    p.rng = Rng::ForStream(opt_.seed, stream);
    p.length_rng = Rng::ForStream(opt_.seed, stream ^ 0x5bd1e9955bd1e995ULL);
    p.u.assign(grid_.size() + 1, 0.0);
    for (size_t j = 0; j < grid_.size(); ++j) {
      const double share = grid_.total_rate[j] > 0 ? Weight(i, j) / grid_.total_rate[j] : 0.0;
      p.u[j + 1] = p.u[j] + share * (grid_.lambda[j + 1] - grid_.lambda[j]);
    }
    p.seconds_per_op.assign(grid_.size(), 0.0);
    for (size_t j = 0; j < grid_.size(); ++j) {
      const double ops = p.u[j + 1] - p.u[j];
      if (grid_.flat[j] && ops > 0)
        p.seconds_per_op[j] = (grid_.bounds[j + 1] - grid_.bounds[j]) / ops;
    }
  }

  const GapLaw& LawAt(ClientProcess& p, size_t j, size_t client) {
    if (p.law_for != j) {
      p.law = GapLaw::For(pool_.clients[client].windows[grid_.first + j], opt_.arrival);
      p.law_for = j;
    }
    return p.law;
  }

  const LengthWindow& LengthsAt(ClientProcess& p, size_t client, size_t j) const {
    if (p.lengths_for != j) {
      const int64_t abs =
          pool_.start + static_cast<int64_t>(grid_.first + j) * pool_.window_seconds;
      p.lengths = pool_.clients[client].LengthsAt(abs);
      p.lengths_for = j;
    }
    return *p.lengths;
  }

  void Emit(ClientProcess& p, double t, size_t j) {
    p.out.push_back({t, static_cast<uint32_t>(grid_.first + j)});
  }

  // Default mode: advance client i's process over [c0, c1).
  void AdvanceRenewal(size_t i, double c1) {
    ClientProcess& p = procs_[i];
    const size_t nw = grid_.size();
    if (p.done) return;
    if (!p.started) {
      size_t j = 0;
      while (j < nw && p.u[j + 1] <= p.u[j]) ++j;
      if (j >= nw) {
        p.done = true;
        return;
      }
      p.j = j;
      p.u_next = p.u[j] + LawAt(p, j, i).EquilibriumGap(p.rng);
      p.started = true;
    }
    for (;;) {
      while (p.j < nw && p.u_next >= p.u[p.j + 1]) ++p.j;
      if (p.j >= nw) {
        p.done = true;
        return;
      }
      const size_t j = p.j;
      double t;
      if (p.seconds_per_op[j] > 0) {  // R is flat in this window: invert with one multiplication
        t = grid_.bounds[j] + (p.u_next - p.u[j]) * p.seconds_per_op[j];
      } else {
        const double share = (p.u[j + 1] - p.u[j]) / (grid_.lambda[j + 1] - grid_.lambda[j]);
        t = rate_.InverseIntegral(grid_.lambda[j] + (p.u_next - p.u[j]) / share);
      }
      if (t < grid_.bounds[j]) t = grid_.bounds[j];
      if (t >= c1 || t >= grid_.bounds[j + 1]) {
        if (t < grid_.bounds[j + 1]) return;  // belongs to a later chunk of this window
        t = grid_.last_before[j];  // rounding pushed it onto the boundary: keep it inside
        if (t >= c1) return;
      }
      Emit(p, t, j);
      p.u_next += LawAt(p, j, i).Gap(p.rng);
    }
  }

  // Compatibility mode: the reference's per-window draw for client i in span window j.
  void CompatWindow(size_t i, size_t j) {
    ClientProcess& p = procs_[i];
    const TraceWindow& w = pool_.clients[i].windows[grid_.first + j];
    const double mass = p.u[j + 1] - p.u[j];  // = client rate * window length
    if (w.pattern == ArrivalPattern::kNone || mass <= 0) return;
    const auto n = static_cast<size_t>(std::ceil(mass - 1e-12));
    std::vector<double> gaps(n);
    double sum = 0.0;
    for (auto& g : gaps) {
      switch (w.pattern) {
        case ArrivalPattern::kGamma:
          g = SampleGamma(w.shape, p.rng) * w.scale;
          break;
        case ArrivalPattern::kWeibull:
          g = SampleWeibull(w.shape, p.rng) * w.scale;
          break;
        default:
          g = SampleExponential(p.rng);
          break;
      }
      sum += g;
    }
    const double len = grid_.bounds[j + 1] - grid_.bounds[j];
    const double factor = sum > 0 ? len / sum : 0.0;
    double cum = 0.0;
    for (double g : gaps) {
      cum += g * factor;
      const double t = grid_.bounds[j] + cum;
      if (t >= grid_.bounds[j + 1]) break;  // the reference's strict '<' drops the last arrival
      Emit(p, t, j);
    }
  }

  void RunChunk(size_t j, double c0, double c1) {
    (void)c0;
    const size_t n = procs_.size();
    auto work = [&](size_t i) {
      procs_[i].out.clear();
      if (opt_.compat) {
        CompatWindow(i, j);
      } else {
        AdvanceRenewal(i, c1);
      }
    };
    threads_.ParallelForEach(static_cast<int64_t>(n),
                             [&](int64_t i) { work(static_cast<size_t>(i)); });
  }

  // K-way merge of the clients' arrivals by (timestamp, client index) with a loser tree (one
  // comparison per level per request); each request's contents are drawn as it leaves the merge,
  // from its client's own length stream, straight into the output batch.
  void Merge(RequestBatch& batch, std::vector<int64_t>& per_client) {
    batch.clear();
    struct Player {
      double t;  // timestamp of the next arrival, +inf when exhausted
      const Arrival* next;
      const Arrival* end;
      uint32_t client;
    };
    std::vector<Player> players;
    size_t total = 0;
    for (size_t i = 0; i < procs_.size(); ++i) {
      const auto& a = procs_[i].out;
      total += a.size();
      if (!a.empty())
        players.push_back({a[0].t, a.data(), a.data() + a.size(), static_cast<uint32_t>(i)});
    }
    batch.requests.reserve(total);
    const size_t k = players.size();
    if (k == 0) return;
    // a beats b: earlier timestamp, ties to the lower client index (players are in index order).
    auto beats = [&](int a, int b) {
      const double ta = players[static_cast<size_t>(a)].t, tb = players[static_cast<size_t>(b)].t;
      return ta < tb || (ta == tb && a < b);
    };
    std::vector<int> tree(k, -1);  // tree[0]: winner; tree[1..k-1]: losers of internal matches
    for (size_t i = 0; i < k; ++i) {
      int w = static_cast<int>(i);
      for (size_t node = (i + k) / 2; node > 0; node /= 2) {
        if (tree[node] < 0) {
          tree[node] = w;
          w = -1;
          break;
        }
        if (beats(tree[node], w)) std::swap(tree[node], w);
      }
      if (w >= 0) tree[0] = w;
    }
    for (size_t n = 0; n < total; ++n) {
      const int w = tree[0];
      Player& pl = players[static_cast<size_t>(w)];
      const Arrival a = *pl.next++;
      pl.t = pl.next < pl.end ? pl.next->t : kInf;
      Request& r = batch.requests.emplace_back();
      r.timestamp = a.t;
      r.client = pl.client;
      r.window = a.window;
      ++per_client[pl.client];
      ClientProcess& p = procs_[pl.client];
      const LengthWindow& lw = LengthsAt(p, pl.client, a.window - grid_.first);
      if (sessions_) {
        const EmpiricalDistribution* first =
            lw.Get(pool_.category == Category::kMultimodal ? LengthField::kTextTokens
                                                           : LengthField::kInputTokens);
        const int64_t min_first =
            sessions_->Begin(pl.client, a.t, first ? std::round(first->Max()) : 0.0);
        lengths_[pl.client].Sample(lw, p.length_rng, r, batch.item_tokens, min_first);
        sessions_->Finish(pl.client, r, batch.hash_ids);
      } else {
        lengths_[pl.client].Sample(lw, p.length_rng, r, batch.item_tokens);
      }
      // Replay the winner's path with its next arrival.
      int cur = w;
      for (size_t node = (static_cast<size_t>(w) + k) / 2; node > 0; node /= 2) {
        if (beats(tree[node], cur)) std::swap(tree[node], cur);
      }
      tree[0] = cur;
    }
  }

  const ClientPool& pool_;
  const RateFunction& rate_;
  const GenerateOptions& opt_;
  std::vector<LengthSampler> lengths_;  // per client (its coupling)
  std::optional<SessionAssigner> sessions_;
  ThreadPool threads_;  // the clients' arrivals of a window are drawn in parallel
  SpanGrid grid_;
  std::vector<ClientProcess> procs_;
};

}  // namespace

Result<GenerateSummary> Generate(const ClientPool& pool, const RateFunction& rate,
                                 const GenerateOptions& options, const RequestSink& sink,
                                 const ProgressFn& progress) {
  if (!(options.duration > 0) || !std::isfinite(options.duration)) {
    return Result<GenerateSummary>::Error("--duration must be a finite number of seconds > 0");
  }
  if (options.coupling == Coupling::kGaussianCopula &&
      !(options.rho >= -1.0 && options.rho <= 1.0)) {
    return Result<GenerateSummary>::Error(fmt::format("--rho {} must be in [-1, 1]", options.rho));
  }
  if (pool.clients.empty()) return Result<GenerateSummary>::Error("the client pool is empty");
  if (Status s = ValidateSloClasses(options.sessions.slo_classes); !s.ok()) return s;
  if (options.sessions.block_tokens < 0 || options.sessions.block_tokens > (1 << 20))
    return Result<GenerateSummary>::Error("--block-size must be in [0, 1048576] tokens");
  if (!(options.sessions.reply_tokens_per_s > 0))
    return Result<GenerateSummary>::Error("--reply-rate must be > 0 tokens per second");
  Engine engine(pool, rate, options);
  return engine.Run(sink, progress);
}

}  // namespace llms::servegen
