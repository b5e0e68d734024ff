// WorkloadProfile: what a capacity planner reads off one trace, whatever it is compared with:
// input and output tokens per second over time, peak request and token rates at 1 s and 10 s
// windows, the joint distribution of input and output lengths, conversation and prefix-reuse
// statistics (overall and per client), the reasoning and multimodal fields where present, and
// every client's share. `servegen report` puts it in its JSON and HTML.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "servegen/conversation_stats.h"
#include "servegen/trace_reader.h"

namespace llms::servegen {

struct PeakRate {
  double window_s = 0;
  double requests_per_s = 0, input_tokens_per_s = 0, output_tokens_per_s = 0;  // the busiest
  double p99_requests_per_s = 0;  // 99th percentile over the windows
};

struct ClientProfile {
  std::string id;
  int64_t requests = 0;
  double share = 0;
  double mean_turns = 0;    // 0 when the trace has no conversations
  double prefix_reuse = 0;  // fraction of its prompt blocks an earlier request of it held
  double prefix_share = 0;  // of its first turns long enough: the fraction with a shared prefix
  int system_prompts = 0;   // its shared system prompts (first blocks starting 2+ conversations)
};

struct WorkloadProfile {
  double start = 0, duration = 0;  // seconds, the trace's own time
  int64_t requests = 0;
  double bin_s = 1;  // of the series below
  std::vector<double> input_tokens_per_s, output_tokens_per_s;
  std::vector<PeakRate> peaks;  // at 1 s and 10 s
  // Joint lengths: counts over power-of-two bins, [input bin][output bin]; bin k holds
  // [2^k, 2^(k+1)) tokens (bin 0 also holds 0).
  std::vector<std::vector<int64_t>> joint;
  double io_rank_corr = 0;
  ConversationStats conversations;     // over the whole trace
  std::vector<ClientProfile> clients;  // by decreasing requests
  // Reasoning (reason traces): reasoning tokens and ratio; multimodal: images per request and
  // tokens per image. Empty when absent.
  std::vector<double> reasoning_tokens, reason_ratio, images_per_request, image_tokens;  // sorted
};

// `reply_tokens_per_s` estimates think times the trace does not record (conversation_stats.h).
WorkloadProfile ProfileWorkload(const Trace& trace, double reply_tokens_per_s = 50);

std::string WorkloadProfileJsonText(const WorkloadProfile& p);  // a JSON object
std::string WorkloadProfileHtml(const WorkloadProfile& p);      // a <section> for the report

}  // namespace llms::servegen
