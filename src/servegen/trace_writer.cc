// TraceWriter implementation.
#include "servegen/trace_writer.h"

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>

#include <unistd.h>

#include <fmt/format.h>

#include "core/text.h"

namespace llms::servegen {

namespace {
constexpr size_t kFlushAt = 1 << 20;

// The temporary file a signal must remove (one writer at a time has one; the handler only reads
// these and calls async-signal-safe functions).
char g_temp_path[4096];
volatile std::sig_atomic_t g_temp_set = 0;
constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_previous[std::size(kCleanupSignals)];
bool g_armed[std::size(kCleanupSignals)] = {};

extern "C" void RemoveTempAndExit(int sig) {
  if (g_temp_set) unlink(g_temp_path);
  // Back to the action the process had, then the signal again: it ends the process as it would
  // have without us.
  for (size_t i = 0; i < std::size(kCleanupSignals); ++i) {
    if (kCleanupSignals[i] == sig) sigaction(sig, &g_previous[i], nullptr);
  }
  raise(sig);
}

// Catches the signals that would end the process while the temporary file exists; a signal the
// process ignores (nohup, a background job) stays ignored.
void ArmSignalCleanup(const std::string& temp) {
  if (temp.size() >= sizeof(g_temp_path)) return;
  std::memcpy(g_temp_path, temp.c_str(), temp.size() + 1);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  g_temp_set = 1;
  struct sigaction act {};
  act.sa_handler = RemoveTempAndExit;
  sigemptyset(&act.sa_mask);
  for (size_t i = 0; i < std::size(kCleanupSignals); ++i) {
    struct sigaction old {};
    if (sigaction(kCleanupSignals[i], nullptr, &old) != 0 || old.sa_handler == SIG_IGN) continue;
    g_previous[i] = old;
    g_armed[i] = sigaction(kCleanupSignals[i], &act, nullptr) == 0;
  }
}

void DisarmSignalCleanup() {
  for (size_t i = 0; i < std::size(kCleanupSignals); ++i) {
    if (g_armed[i]) sigaction(kCleanupSignals[i], &g_previous[i], nullptr);
    g_armed[i] = false;
  }
  g_temp_set = 0;
}
}  // namespace

Result<TraceFormat> ResolveTraceFormat(const std::string& name, const std::string& path) {
  if (name == "jsonl" || name == "json") return TraceFormat::kJsonl;
  if (name == "csv") return TraceFormat::kCsv;
  if (!name.empty())
    return Result<TraceFormat>::Error(fmt::format("--format '{}': expected jsonl or csv", name));
  if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".csv") == 0) return TraceFormat::kCsv;
  return TraceFormat::kJsonl;
}

Result<TraceWriter> TraceWriter::Open(const std::string& path, TraceFormat format,
                                      Category category, std::vector<std::string> client_names,
                                      int64_t pool_start, int64_t window_seconds) {
  TraceWriter w;
  if (path == "-") {
    w.file_ = stdout;
  } else {
    // A regular (or new) file is replaced atomically; a device, pipe or symbolic link is written
    // in place (renaming over a link would replace the link itself).
    std::error_code ec;
    const auto st = std::filesystem::symlink_status(path, ec);
    const bool regular = !std::filesystem::exists(st) || std::filesystem::is_regular_file(st);
    if (regular) w.temp_ = fmt::format("{}.tmp-{}", path, getpid());
    const std::string& open_path = regular ? w.temp_ : path;
    w.file_ = std::fopen(open_path.c_str(), "wb");
    if (!w.file_) {
      return Result<TraceWriter>::Error(
          fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
    }
    w.owns_ = true;
    if (regular) ArmSignalCleanup(w.temp_);
  }
  w.path_ = path;
  w.format_ = format;
  w.category_ = category;
  w.pool_start_ = pool_start;
  w.window_seconds_ = window_seconds;
  for (const auto& n : client_names) {
    std::string j;
    AppendJsonString(j, n);
    w.names_json_.push_back(std::move(j));
    std::string c = n;
    if (c.find_first_of(",\"\n") != std::string::npos) {
      std::string q = "\"";
      for (char ch : c) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      c = q + "\"";
    }
    w.names_csv_.push_back(std::move(c));
  }
  AppendJsonString(w.category_json_, CategoryName(category));
  w.buf_.resize(kFlushAt + 64 * 1024);
  if (format == TraceFormat::kCsv) {
    static constexpr std::string_view kHeader =
        "timestamp_ms,client_id,category,window_s,input_length,output_length,reasoning_tokens,"
        "text_tokens,image_tokens,audio_tokens,video_tokens,session_id,turn,think_time_ms,hash_ids,"
        "slo_class,ttft_slo_ms,tpot_slo_ms\n";
    std::memcpy(w.buf_.data(), kHeader.data(), kHeader.size());
    w.len_ = kHeader.size();
  }
  return w;
}

TraceWriter::TraceWriter(TraceWriter&& o) noexcept
    : file_(o.file_),
      owns_(o.owns_),
      path_(std::move(o.path_)),
      temp_(std::move(o.temp_)),
      format_(o.format_),
      category_(o.category_),
      names_json_(std::move(o.names_json_)),
      names_csv_(std::move(o.names_csv_)),
      category_json_(std::move(o.category_json_)),
      slo_json_(std::move(o.slo_json_)),
      slo_csv_(std::move(o.slo_csv_)),
      pool_start_(o.pool_start_),
      window_seconds_(o.window_seconds_),
      buf_(std::move(o.buf_)),
      len_(o.len_),
      bytes_(o.bytes_) {
  o.file_ = nullptr;
  o.owns_ = false;
}

void TraceWriter::SetSloClasses(const std::vector<SloClass>& classes) {
  slo_json_.clear();
  slo_csv_.clear();
  for (const auto& c : classes) {
    std::string j = ",\"slo_class\":";
    AppendJsonString(j, c.name);
    j += fmt::format(",\"ttft_slo_ms\":{},\"tpot_slo_ms\":{}", c.ttft_ms, c.tpot_ms);
    slo_json_.push_back(std::move(j));
    slo_csv_.push_back(fmt::format("{},{},{}", c.name, c.ttft_ms, c.tpot_ms));
  }
}

TraceWriter::~TraceWriter() {
  Abandon();
}

void TraceWriter::Abandon() {
  if (!file_) return;
  if (owns_) std::fclose(file_);
  file_ = nullptr;
  if (!temp_.empty()) {
    std::remove(temp_.c_str());
    DisarmSignalCleanup();
  }
}

namespace {

// Writes the decimal digits of v at p and returns the end. (to_chars through std::string append
// was a third of the writer's time.)
// Two digits at a time from a table (libstdc++'s to_chars was a quarter of the writer's time).
inline char* PutInt(char* p, int64_t v) {
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  uint64_t u = static_cast<uint64_t>(v);
  if (v < 0) {
    *p++ = '-';
    u = 0 - u;
  }
  char tmp[20];
  char* t = tmp + sizeof(tmp);
  while (u >= 100) {
    const unsigned pair = static_cast<unsigned>(u % 100) * 2;
    u /= 100;
    *--t = kPairs[pair + 1];
    *--t = kPairs[pair];
  }
  if (u >= 10) {
    const unsigned pair = static_cast<unsigned>(u) * 2;
    *--t = kPairs[pair + 1];
    *--t = kPairs[pair];
  } else {
    *--t = static_cast<char>('0' + u);
  }
  const size_t n = static_cast<size_t>(tmp + sizeof(tmp) - t);
  std::memcpy(p, t, n);
  return p + n;
}
inline char* Put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}
inline char* PutMillis(char* p, double seconds) {
  const int64_t us = static_cast<int64_t>(seconds * 1e6 + 0.5);  // seconds >= 0
  p = PutInt(p, us / 1000);
  const int64_t frac = us % 1000;
  p[0] = '.';
  p[1] = static_cast<char>('0' + frac / 100);
  p[2] = static_cast<char>('0' + frac / 10 % 10);
  p[3] = static_cast<char>('0' + frac % 10);
  return p + 4;
}

}  // namespace

void TraceWriter::Format(const RequestBatch& batch, const Request& r) {
  const size_t items = static_cast<size_t>(r.image_count) + r.audio_count + r.video_count;
  const size_t max_len = 320 + names_json_[r.client].size() * 2 + category_json_.size() +
                         24 * items + 21 * static_cast<size_t>(r.hash_count) +
                         (r.slo_class < slo_json_.size() ? slo_json_[r.slo_class].size() : 0);
  if (len_ + max_len > buf_.size()) buf_.resize(len_ + max_len);  // only for huge lines
  char* const begin = buf_.data() + len_;
  char* p = begin;
  const int64_t window_start = pool_start_ + static_cast<int64_t>(r.window) * window_seconds_;
  auto put_items = [&](size_t offset, int count, char sep) {
    for (int i = 0; i < count; ++i) {
      if (i) *p++ = sep;
      p = PutInt(p, batch.item_tokens[offset + static_cast<size_t>(i)]);
    }
  };
  const size_t img = r.items_offset, aud = img + r.image_count, vid = aud + r.audio_count;
  if (format_ == TraceFormat::kJsonl) {
    p = Put(p, "{\"timestamp\":");
    p = PutMillis(p, r.timestamp);
    p = Put(p, ",\"client_id\":");
    p = Put(p, names_json_[r.client]);
    p = Put(p, ",\"category\":");
    p = Put(p, category_json_);
    p = Put(p, ",\"window\":");
    p = PutInt(p, window_start);
    p = Put(p, ",\"input_length\":");
    p = PutInt(p, r.input_tokens);
    p = Put(p, ",\"output_length\":");
    p = PutInt(p, r.output_tokens);
    if (category_ == Category::kReason) {
      p = Put(p, ",\"reasoning_tokens\":");
      p = PutInt(p, r.reasoning_tokens);
      p = Put(p, ",\"reason_ratio\":");
      p = std::to_chars(p, p + 32, r.reason_ratio).ptr;
    } else if (category_ == Category::kMultimodal) {
      p = Put(p, ",\"text_tokens\":");
      p = PutInt(p, r.text_tokens);
      p = Put(p, ",\"image_tokens\":[");
      put_items(img, r.image_count, ',');
      p = Put(p, "],\"audio_tokens\":[");
      put_items(aud, r.audio_count, ',');
      p = Put(p, "],\"video_tokens\":[");
      put_items(vid, r.video_count, ',');
      *p++ = ']';
    }
    if (r.session >= 0) {
      p = Put(p, ",\"session_id\":");
      p = PutInt(p, r.session);
      p = Put(p, ",\"turn\":");
      p = PutInt(p, r.turn);
      if (r.turn > 0) {
        p = Put(p, ",\"think_time_ms\":");
        p = PutMillis(p, r.think_s);
      }
    }
    if (r.hash_count > 0) {
      p = Put(p, ",\"hash_ids\":[");
      for (uint32_t k = 0; k < r.hash_count; ++k) {
        if (k) *p++ = ',';
        p = PutInt(p, batch.hash_ids[r.hash_offset + k]);
      }
      *p++ = ']';
    }
    if (r.slo_class < slo_json_.size()) p = Put(p, slo_json_[r.slo_class]);
    p = Put(p, "}\n");
  } else {
    p = PutMillis(p, r.timestamp);
    *p++ = ',';
    p = Put(p, names_csv_[r.client]);
    *p++ = ',';
    p = Put(p, CategoryName(category_));
    *p++ = ',';
    p = PutInt(p, window_start);
    *p++ = ',';
    p = PutInt(p, r.input_tokens);
    *p++ = ',';
    p = PutInt(p, r.output_tokens);
    *p++ = ',';
    if (category_ == Category::kReason) p = PutInt(p, r.reasoning_tokens);
    *p++ = ',';
    if (category_ == Category::kMultimodal) {
      p = PutInt(p, r.text_tokens);
      *p++ = ',';
      put_items(img, r.image_count, ';');
      *p++ = ',';
      put_items(aud, r.audio_count, ';');
      *p++ = ',';
      put_items(vid, r.video_count, ';');
    } else {
      p = Put(p, ",,,");
    }
    *p++ = ',';
    if (r.session >= 0) {
      p = PutInt(p, r.session);
      *p++ = ',';
      p = PutInt(p, r.turn);
      *p++ = ',';
      if (r.turn > 0) p = PutMillis(p, r.think_s);
    } else {
      p = Put(p, ",,");
    }
    *p++ = ',';
    for (uint32_t k = 0; k < r.hash_count; ++k) {
      if (k) *p++ = ';';
      p = PutInt(p, batch.hash_ids[r.hash_offset + k]);
    }
    *p++ = ',';
    if (r.slo_class < slo_csv_.size()) {
      p = Put(p, slo_csv_[r.slo_class]);
    } else {
      p = Put(p, ",,");
    }
    *p++ = '\n';
  }
  len_ += static_cast<size_t>(p - begin);
}

Status TraceWriter::Write(const RequestBatch& batch) {
  if (!file_) return Status::Error(path_ + ": writer is closed");
  for (const auto& r : batch.requests) {
    Format(batch, r);
    if (len_ >= kFlushAt) LLMS_RETURN_IF_ERROR(Flush());
  }
  return Status::Ok();
}

Status TraceWriter::Flush() {
  if (len_ == 0) return Status::Ok();
  if (std::fwrite(buf_.data(), 1, len_, file_) != len_) {
    return Status::Error(fmt::format("{}: write failed: {}", path_, std::strerror(errno)));
  }
  bytes_ += static_cast<int64_t>(len_);
  len_ = 0;
  return Status::Ok();
}

Status TraceWriter::Close() {
  if (!file_) return Status::Ok();
  Status s = Flush();
  if (owns_) {
    if (std::fclose(file_) != 0 && s.ok())
      s = Status::Error(fmt::format("{}: close failed: {}", path_, std::strerror(errno)));
  } else {
    std::fflush(file_);
  }
  file_ = nullptr;
  if (!temp_.empty()) {
    if (s.ok() && std::rename(temp_.c_str(), path_.c_str()) != 0) {
      s = Status::Error(
          fmt::format("{}: cannot rename {} onto it: {}", path_, temp_, std::strerror(errno)));
    }
    if (!s.ok()) std::remove(temp_.c_str());
    DisarmSignalCleanup();
  }
  return s;
}

}  // namespace llms::servegen
