// Generation: a request's tokens turned into client text and logprobs as they are published.
#include "server/generation.h"

namespace llms::server {

Generation::Generation(int model, serving::ServingRequest request,
                       const engine::Tokenizer& tokenizer, std::vector<std::string> stop)
    : model_(model),
      request_(std::move(request)),
      text_(tokenizer, request_.prompt.empty() ? 0 : request_.prompt.back(), std::move(stop)) {}

Generation::Progress Generation::Read(size_t from) const {
  std::lock_guard<std::mutex> lock(mu_);
  Progress p;
  if (from < deltas_.size()) {
    p.deltas.assign(deltas_.begin() + static_cast<std::ptrdiff_t>(from), deltas_.end());
  }
  p.next = deltas_.size();
  p.tokens = tokens_;
  p.end = end_;
  p.error = error_;
  return p;
}

void Generation::SetWaker(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(mu_);
  wake_ = std::move(wake);
}

namespace {

GenerationEnd EndOf(const serving::ServingRequest& r, bool satisfied) {
  using serving::FinishReason;
  switch (r.finish) {
    case FinishReason::kEos:
      return GenerationEnd::kStop;
    case FinishReason::kLength:
    case FinishReason::kContextFull:
      return GenerationEnd::kLength;
    case FinishReason::kCancelled:
      return satisfied ? GenerationEnd::kStop : GenerationEnd::kCancelled;
    case FinishReason::kInternal:
      return GenerationEnd::kInternal;
    case FinishReason::kRejected:
    case FinishReason::kFailed:
    case FinishReason::kUnfinished:
      return GenerationEnd::kFailed;
    case FinishReason::kNone:
      break;
  }
  return r.generated >= r.max_output_tokens ? GenerationEnd::kLength : GenerationEnd::kRunning;
}

}  // namespace

size_t Generation::Publish() {
  const serving::ServingRequest& r = request_;
  const size_t before = consumed_;
  std::vector<TextDelta> fresh;
  int32_t prev = text_.last_token();
  for (; consumed_ < r.output.size() && !text_.stopped(); ++consumed_) {
    const int32_t token = r.output[consumed_];
    if (r.logprobs >= 0 && consumed_ < r.logprobs_out.size()) {
      const serving::TokenLogprob& lp = r.logprobs_out[consumed_];
      LogprobEntry e{text_.Piece(prev, token), lp.logprob, {}};
      for (const auto& [id, v] : lp.top) e.top.emplace_back(text_.Piece(prev, id), v);
      pending_logprobs_.push_back(std::move(e));
    }
    prev = token;
    std::string out = text_.Push(token);
    if (!out.empty() || text_.stopped()) {
      fresh.push_back({std::move(out), std::move(pending_logprobs_)});
      pending_logprobs_.clear();
    }
    if (text_.stopped()) {
      // The client has its whole answer: the scheduler ends the request at its next step.
      satisfied_ = true;
      request_.cancel.Raise();
      ++consumed_;
      break;
    }
  }
  const size_t tokens = consumed_;
  GenerationEnd end = text_.stopped() ? GenerationEnd::kStop : EndOf(r, satisfied_);
  if (end != GenerationEnd::kRunning && !text_.stopped() && consumed_ >= r.output.size()) {
    std::string tail = text_.Finish();
    if (!tail.empty() || !pending_logprobs_.empty()) {
      fresh.push_back({std::move(tail), std::move(pending_logprobs_)});
      pending_logprobs_.clear();
    }
  }
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (TextDelta& d : fresh) deltas_.push_back(std::move(d));
    tokens_ = static_cast<int>(tokens);
    if (end_ == GenerationEnd::kRunning) {
      end_ = end;
      if (end == GenerationEnd::kFailed || end == GenerationEnd::kInternal) error_ = r.error;
    }
    wake = wake_;
  }
  if (wake) wake();
  return consumed_ - before;
}

void Generation::MarkReleased() {
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (end_ == GenerationEnd::kRunning) {
      end_ = EndOf(request_, satisfied_);
      if (end_ == GenerationEnd::kRunning) end_ = GenerationEnd::kInternal;  // never silence
      error_ = request_.error;
    }
    wake = wake_;
  }
  released_ = true;
  if (wake) wake();
}

}  // namespace llms::server
