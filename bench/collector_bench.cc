// The map side's hot path alone: reads the files named on the command line into memory, then
// runs wordcount's Map (the examples' tokenizer, Emit(word, 1) into the kSum collector) over
// the text and writes the map output file, timing each phase. No processes, no RPC, no reduce.
// Map gets the text as the files input hands it to wordcount: whole lines up to 1 MiB at a time
// (Job::map_takes_line_blocks), or, with --lines, one line at a time.
//
// usage: collector_bench [--memory MB] [--partitions R] [--no-compress] [--lines] [--repeat N] FILE...
// Prints one JSON object per repetition: {"emit_s", "finish_s", "mb_per_s", "keys", "spills", ...};
// max_rss_mb - input_rss_mb is about what the collector itself took.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "aviary/aviary.h"
#include "common/env.h"
#include "shuffle/map_output.h"
#include "tokenizer.h"

namespace {

class WordCount : public aviary::Job {
 public:
  void Map(const aviary::Record& record, aviary::MapContext& ctx) override {
    aviary_examples::ForEachWord(record.text(), [&ctx](std::string_view w) { ctx.Emit(w, int64_t{1}); });
  }
  aviary::Value Reduce(aviary::ValueView, const aviary::Values& counts) override {
    int64_t sum = 0;
    for (aviary::ValueView c : counts) sum += c.as_int();
    return aviary::Value::Int64(sum);
  }
  aviary::Combiner combiner() const override { return aviary::Combiner::kSum; }
  bool map_takes_line_blocks() const override { return line_blocks; }
  bool line_blocks = true;
};

double CurrentRssMb() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * 4096 / (1 << 20);
}

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t memory_mb = 512;
  uint32_t partitions = 2;
  bool compress = true;
  bool lines_only = false;
  int repeat = 1;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--memory" && i + 1 < argc) memory_mb = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--partitions" && i + 1 < argc) partitions = static_cast<uint32_t>(std::atoi(argv[++i]));
    else if (a == "--no-compress") compress = false;
    else if (a == "--lines") lines_only = true;
    else if (a == "--repeat" && i + 1 < argc) repeat = std::atoi(argv[++i]);
    else files.push_back(a);
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: collector_bench [--memory MB] [--partitions R] [--no-compress] [--lines] [--repeat N] FILE...\n");
    return 2;
  }
  std::string text;
  for (const std::string& f : files) {
    FILE* in = std::fopen(f.c_str(), "rb");
    if (in == nullptr) {
      std::perror(f.c_str());
      return 1;
    }
    std::fseek(in, 0, SEEK_END);
    const size_t n = static_cast<size_t>(std::ftell(in));
    std::fseek(in, 0, SEEK_SET);
    const size_t old = text.size();
    text.resize(old + n);
    if (std::fread(text.data() + old, 1, n, in) != n) {
      std::perror(f.c_str());
      return 1;
    }
    std::fclose(in);
  }
  // Records as the files input hands them to Map: lines without their '\n', or blocks of whole
  // lines that end at the last '\n' of each 1 MiB (its read size).
  constexpr size_t kReadSize = 1 << 20;
  std::vector<std::string_view> records;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = lines_only ? text.find('\n', pos) : text.rfind('\n', std::min(text.size(), pos + kReadSize) - 1);
    if (!lines_only && (nl == std::string::npos || nl < pos)) nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    records.emplace_back(text.data() + pos, nl - pos);
    pos = nl + 1;
  }
  aviary::Env* env = aviary::Env::Default();
  const double input_rss_mb = CurrentRssMb();  // the text and its line index: not the collector's
  const std::string dir = "/tmp/collector_bench." + std::to_string(::getpid());
  // The output goes here; the collector makes only its spill directory, at the first spill.
  if (aviary::Status made = env->CreateDirs(dir); !made.ok()) {
    std::fprintf(stderr, "%s\n", made.ToString().c_str());
    return 1;
  }
  WordCount job;
  job.line_blocks = !lines_only;
  for (int r = 0; r < repeat; ++r) {
    aviary::shuffle::MapOutputOptions options;
    options.num_partitions = partitions;
    options.memory_budget_bytes = memory_mb << 20;
    options.spill_dir = dir + "/spill";
    options.compress = compress;
    auto collector = aviary::shuffle::MapOutputCollector::Create(env, &job, options);
    if (!collector.ok()) {
      std::fprintf(stderr, "%s\n", collector.status().ToString().c_str());
      return 1;
    }
    (*collector)->SetReadableRange(text.data(), text.data() + text.size());  // as the files input does
    aviary::RecordSource source;
    const auto t0 = std::chrono::steady_clock::now();
    for (std::string_view record : records) {
      job.Map(aviary::Record(record, nullptr, source), (*collector)->ContextForNextRecord());
    }
    const auto t1 = std::chrono::steady_clock::now();
    aviary::shuffle::MapOutputStats stats;
    aviary::Status s = (*collector)->Finish(dir + "/output", &stats);
    const auto t2 = std::chrono::steady_clock::now();
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    uint64_t out_bytes = 0;
    for (uint64_t b : stats.partition_bytes) out_bytes += b;
    struct rusage ru {};
    ::getrusage(RUSAGE_SELF, &ru);
    std::printf("{\"emit_s\": %.4f, \"finish_s\": %.4f, \"mb_per_s\": %.1f, \"emitted\": %llu, \"keys\": %llu, "
                "\"spills\": %llu, \"output_bytes\": %llu, \"max_rss_mb\": %.1f, \"input_rss_mb\": %.1f}\n",
                Seconds(t0, t1), Seconds(t1, t2), text.size() / 1e6 / Seconds(t0, t2),
                static_cast<unsigned long long>(stats.records_emitted),
                static_cast<unsigned long long>(stats.records_out), static_cast<unsigned long long>(stats.spills),
                static_cast<unsigned long long>(out_bytes), ru.ru_maxrss / 1024.0, input_rss_mb);
    std::fflush(stdout);
  }
  (void)env->DeleteRecursively(dir);
  return 0;
}
