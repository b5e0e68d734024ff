// ProgressBar implementation (ANSI carriage-return redraw on stderr).
#include "core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace llms {

ProgressBar::ProgressBar(std::string label, double total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)) {}

ProgressBar::~ProgressBar() {
  if (enabled_ && !finished_) std::fputc('\n', stderr);
}

bool ProgressBar::StderrIsTerminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

void ProgressBar::Update(double done, const std::string& detail) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(done, detail);
}

void ProgressBar::Finish(const std::string& detail) {
  if (!enabled_ || finished_) return;
  Draw(total_, detail);
  std::fputc('\n', stderr);
  finished_ = true;
}

void ProgressBar::Draw(double done, const std::string& detail) {
  const double frac = total_ > 0 ? std::clamp(done / total_, 0.0, 1.0) : 1.0;
  const int width = 30;
  const int filled = static_cast<int>(frac * width);
  std::string bar(filled, '#');
  bar.resize(width, '.');
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::fprintf(stderr, "\r%s [%s] %5.1f%% %6.1fs %s\033[K", label_.c_str(), bar.c_str(), frac * 100,
               elapsed, detail.c_str());
  std::fflush(stderr);
}

}  // namespace llms
