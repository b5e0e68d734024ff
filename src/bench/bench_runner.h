// RunBench: replays a workload against an OpenAI-compatible endpoint, open loop (each request
// sent at its time whatever the server does; a conversation's later turn its think time after
// the previous turn's reply ended, with the earlier turns in its prompt) or closed loop (a fixed
// number in flight), all on
// one I/O thread with asynchronous streams, and measures each request: when it was scheduled and
// actually sent, when each streamed piece arrived, how it ended. The summary (TTFT, TBT, TPOT,
// end-to-end latency, throughput, both SLO attainments, goodput, send lag) comes from
// core/slo.h, the same code the simulator reports with.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/bench_workload.h"
#include "bench/http_client.h"
#include "core/slo.h"
#include "core/status.h"

namespace llms::bench {

struct BenchOptions {
  Endpoint endpoint;
  std::string api_key;
  std::vector<std::string> models;  // empty: every model the endpoint lists
  WorkloadOptions workload;
  std::string api = "completions";  // or "chat" (prompts as text, lengths approximate)
  int concurrency = 0;              // > 0: closed loop with this many requests in flight
  SloTargets slo;
  std::map<std::string, SloTargets> model_slo;  // models judged by their own SLOs
  bool ignore_eos = true;                       // ask for exact output lengths (vLLM's ignore_eos)
  bool progress = true;
  std::string label;  // names the run in the result (e.g. the policy), for --compare
};

struct RequestRecord {
  int model = 0;
  int slo_class = -1;  // index into BenchResult::slo_classes
  int turn = 0;        // its turn in its conversation
  int input_tokens = 0, max_tokens = 0;
  double scheduled_s = 0;  // when it should have been sent (after the start)
  double sent_s = -1;      // when its bytes went out (-1: never)
  double end_s = -1;
  std::vector<double> token_s;  // arrival of each streamed piece with text
  int output_tokens = 0;        // from `usage` when the server sends it, else the pieces
  int prompt_tokens = -1;       // the server's count of the prompt (`usage`), -1: not sent
  int status = 0;               // HTTP status (0: no response)
  std::string error;            // empty when it completed
};

struct BenchResult {
  std::vector<std::string> models;
  std::vector<RequestRecord> records;
  double wall_s = 0;
  int64_t connections = 0;
  int max_in_flight = 0;  // most requests open at once
  SloSummary summary;
  std::vector<SloSummary> per_model;
  // The trace's SLO classes: each request of a class is judged by its targets; per_class[k] sums
  // up class k's requests.
  std::vector<SloClassTargets> slo_classes;
  std::vector<SloSummary> per_class;
  bool closed_loop_sessions = false;  // later turns waited for the previous reply
  Percentiles send_lag_s;
  std::map<std::string, int64_t> errors;  // error kind -> count
  int64_t output_tokens = 0, input_tokens = 0;
};

Result<BenchResult> RunBench(const BenchOptions& options);

}  // namespace llms::bench
