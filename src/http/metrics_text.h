// The Prometheus text exposition format (version 0.0.4), written by hand: one HELP and one TYPE
// line per family, then its samples; label values escaped (\\, \", \n); histograms as
// cumulative _bucket{le=...} samples ending in le="+Inf", then _sum and _count.
//
// Thread safety: a MetricsText is used by one thread; Histogram is a plain value.
#ifndef AVIARY_HTTP_METRICS_TEXT_H_
#define AVIARY_HTTP_METRICS_TEXT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace aviary::http {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Observations counted into fixed upper bounds (seconds, for attempt durations).
struct Histogram {
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);

  std::vector<double> bounds;    // ascending upper bounds, without +Inf
  std::vector<uint64_t> counts;  // per bound, not cumulative
  uint64_t count = 0;            // all observations (the +Inf bucket)
  double sum = 0;
};

// Upper bounds for durations of task attempts: 10 ms to 1 h.
std::vector<double> AttemptDurationBounds();

class MetricsText {
 public:
  // Starts a family. REQUIRES: `name` matches [a-zA-Z_:][a-zA-Z0-9_:]* and is new; `type` is
  // counter, gauge or histogram.
  void Family(const std::string& name, const std::string& type, const std::string& help);
  // A sample of the family begun last (or its _bucket/_sum/_count for a histogram).
  void Sample(const std::string& name, const Labels& labels, double value);
  void HistogramSamples(const std::string& name, const Labels& labels, const Histogram& h);
  // Family and one sample, for the common unlabelled gauge or counter.
  void Single(const std::string& name, const std::string& type, const std::string& help, double value);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// Label value escaping, exposed for tests.
std::string EscapeLabelValue(const std::string& value);
// A number as the format wants it: integers without exponent, +Inf, -Inf, NaN.
std::string FormatValue(double value);

}  // namespace aviary::http

#endif  // AVIARY_HTTP_METRICS_TEXT_H_
