#include "client/progress.h"

#include <fmt/format.h>

#include <algorithm>

#include "client/job_report.h"

namespace aviary::client {
namespace {

// Seconds between plain lines that only report new record counts.
constexpr double kPlainRecordsEvery = 5;

std::string Count(double n) {
  if (n >= 1e9) return fmt::format("{:.1f}G", n / 1e9);
  if (n >= 1e6) return fmt::format("{:.1f}M", n / 1e6);
  if (n >= 1e4) return fmt::format("{:.0f}k", n / 1e3);
  return fmt::format("{:.0f}", n);
}

std::string Duration(double s) {
  if (s < 60) return fmt::format("{:.0f} s", s);
  if (s < 3600) {
    const int whole = static_cast<int>(s);
    return fmt::format("{} min {:02d} s", whole / 60, whole % 60);
  }
  return fmt::format("{:.1f} h", s / 3600);
}

// The records that move in each phase: read while mapping, written while reducing.
uint64_t PhaseRecords(const rpc::JobStatus& job) {
  return job.state() == rpc::REDUCING ? job.output_records() : job.input_records();
}

// Tasks done and in all of the phase that runs now; {0, 0} outside map and reduce.
std::pair<uint32_t, uint32_t> PhaseTasks(const rpc::JobStatus& job) {
  if (job.state() == rpc::MAPPING) return {job.maps_done(), job.maps_total()};
  if (job.state() == rpc::REDUCING) return {job.reduces_done(), job.reduces_total()};
  return {0, 0};
}

std::string Bar(const rpc::JobStatus& job, int width) {
  const uint32_t total = job.maps_total() + job.reduces_total();
  const double done = total == 0 ? 0 : static_cast<double>(job.maps_done() + job.reduces_done()) / total;
  const int filled = std::clamp(static_cast<int>(done * width + 0.5), 0, width);
  return "[" + std::string(filled, '#') + std::string(width - filled, '-') + "] ";
}

}  // namespace

std::string ProgressLine(const rpc::JobStatus& job, const ProgressRates& rates, int bar_width) {
  std::string line = fmt::format("{} {:<10} ", job.job_id(), StateName(job.state()));
  if (bar_width > 0) line += Bar(job, bar_width);
  line += fmt::format("map {}/{}", job.maps_done(), job.maps_total());
  if (job.maps_running() > 0) line += fmt::format(" ({} running)", job.maps_running());
  line += fmt::format(" reduce {}/{}", job.reduces_done(), job.reduces_total());
  if (job.reduces_running() > 0) line += fmt::format(" ({} running)", job.reduces_running());
  line += fmt::format(" | {} records in, {} out", Count(static_cast<double>(job.input_records())),
                      Count(static_cast<double>(job.output_records())));
  if (rates.records_per_s >= 0 && (job.state() == rpc::MAPPING || job.state() == rpc::REDUCING)) {
    line += fmt::format(", {}/s", Count(rates.records_per_s));
  }
  if (job.state() == rpc::COMMITTING) {
    line += " | committing for " + Duration(rates.phase_s);
  } else if (rates.eta_s >= 0) {
    line += " | ETA " + Duration(rates.eta_s);
  }
  return line;
}

ProgressRates ProgressPrinter::Measure(const rpc::JobStatus& job, double now_s) {
  const auto [done, total] = PhaseTasks(job);
  if (job.state() != phase_) {
    phase_ = job.state();
    phase_start_s_ = now_s;
    phase_done_at_start_ = done;
    last_records_s_ = -1;
    rate_ = -1;
  }
  const uint64_t records = PhaseRecords(job);
  if (last_records_s_ < 0) {
    last_records_ = records;
    last_records_s_ = now_s;
  } else if (now_s - last_records_s_ >= 1) {
    // Per second, smoothed: tasks report in bursts.
    const double rate = static_cast<double>(records - std::min(records, last_records_)) / (now_s - last_records_s_);
    rate_ = rate_ < 0 ? rate : 0.5 * rate_ + 0.5 * rate;
    last_records_ = records;
    last_records_s_ = now_s;
  }
  ProgressRates rates;
  rates.records_per_s = rate_;
  rates.phase_s = now_s - phase_start_s_;
  const uint32_t done_here = done - std::min(done, phase_done_at_start_);
  if (done_here > 0 && total > done) rates.eta_s = rates.phase_s * (total - done) / done_here;
  return rates;
}

void ProgressPrinter::Show(const rpc::JobStatus& job, double now_s) {
  const ProgressRates rates = Measure(job, now_s);
  if (tty_) {
    std::string line = ProgressLine(job, rates, 20);
    if (line == last_drawn_) return;
    std::fprintf(out_, "\r%s\033[K", line.c_str());
    std::fflush(out_);
    last_drawn_ = std::move(line);
    return;
  }
  const std::string key = fmt::format("{} {} {} {} {} {}", static_cast<int>(job.state()), job.maps_done(),
                                      job.maps_running(), job.reduces_done(), job.reduces_running(), job.maps_total());
  const bool records_moved = PhaseRecords(job) != last_plain_records_ && now_s - last_plain_s_ >= kPlainRecordsEvery;
  if (key == last_key_ && !records_moved) return;
  last_key_ = key;
  last_plain_s_ = now_s;
  last_plain_records_ = PhaseRecords(job);
  std::fprintf(out_, "%s\n", ProgressLine(job, rates, 0).c_str());
  std::fflush(out_);
}

void ProgressPrinter::Finish() {
  if (!last_drawn_.empty()) std::fputc('\n', out_);
  last_drawn_.clear();
}

}  // namespace aviary::client
