// The map side's hot path alone: reads the files named on the command line into memory, then
// runs wordcount's Map (the examples' tokenizer, Emit(word, 1) into the kSum collector) over
// the text and writes the map output file, timing each phase. No processes, no RPC.
// Map gets the text as the files input hands it to wordcount: whole lines up to 1 MiB at a time
// (Job::map_takes_line_blocks), or, with --lines, one line at a time.
// With --reduce the text is mapped as two map tasks (half the files each, as `aviary run
// --workers 2` splits it) and partition 0 of both outputs is then reduced into a JSON lines file
// the way a reduce attempt does after its fetch (RunReduce and the files output's line
// encoding; no fsync), timed as "reduce_s".
//
// usage: collector_bench [--memory MB] [--partitions R] [--no-compress] [--lines] [--reduce] [--repeat N] FILE...
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
#include "shuffle/reduce.h"
#include "storage/files/json_writer.h"
#include "storage/output.h"
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

// The files output's writer without its fsync: lines buffered, appended 256 KiB at a time.
class LinesWriter : public aviary::OutputWriter {
 public:
  explicit LinesWriter(std::unique_ptr<aviary::WritableFile> file) : file_(std::move(file)) {}
  aviary::Status Write(aviary::ValueView key, aviary::ValueView value) override {
    aviary::AppendResultLine(key, value, &buffer_);
    if (buffer_.size() < (256 << 10)) return aviary::Status::OK();
    aviary::Status s = file_->Append(buffer_);
    buffer_.clear();
    return s;
  }
  aviary::Status Close() override {
    aviary::Status s = file_->Append(buffer_);
    return s.ok() ? file_->Close() : s;
  }
  std::string location() const override { return ""; }

 private:
  std::unique_ptr<aviary::WritableFile> file_;
  std::string buffer_;
};

// Partition 0 of a map output file (its first segment) as a segment file of its own, as a
// reducer's fetch leaves it.
aviary::Status CopyFirstSegment(aviary::Env* env, const std::string& from, uint64_t bytes, const std::string& to) {
  std::string all;
  if (aviary::Status s = aviary::ReadFileToString(env, from, &all); !s.ok()) return s;
  auto out = env->NewWritableFile(to);
  if (!out.ok()) return out.status();
  aviary::Status s = (*out)->Append(std::string_view(all).substr(0, bytes));
  return s.ok() ? (*out)->Close() : s;
}

// One map task: Map over `records`, then Finish into `output`.
struct MapRun {
  double emit_s = 0, finish_s = 0;
  aviary::shuffle::MapOutputStats stats;
};

aviary::Status RunMapTask(aviary::Env* env, WordCount* job, const aviary::shuffle::MapOutputOptions& options,
                          const std::string& text, const std::vector<std::string_view>& records,
                          const std::string& output, MapRun* run) {
  auto collector = aviary::shuffle::MapOutputCollector::Create(env, job, options);
  if (!collector.ok()) return collector.status();
  (*collector)->SetReadableRange(text.data(), text.data() + text.size());  // as the files input does
  aviary::RecordSource source;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::string_view record : records) {
    job->Map(aviary::Record(record, nullptr, source), (*collector)->ContextForNextRecord());
  }
  const auto t1 = std::chrono::steady_clock::now();
  aviary::Status s = (*collector)->Finish(output, &run->stats);
  run->emit_s = Seconds(t0, t1);
  run->finish_s = Seconds(t1, std::chrono::steady_clock::now());
  return s;
}

// Partition 0 of every map output, reduced into dir/reduced.jsonl.
aviary::Status RunReduceOfPartition0(aviary::Env* env, WordCount* job, const std::string& dir,
                                     const std::vector<MapRun>& maps, double* reduce_s, uint64_t* keys) {
  std::vector<std::string> segments;
  for (size_t m = 0; m < maps.size(); ++m) {
    segments.push_back(dir + "/segment-" + std::to_string(m));
    aviary::Status s = CopyFirstSegment(env, dir + "/output-" + std::to_string(m), maps[m].stats.partition_bytes[0],
                                        segments.back());
    if (!s.ok()) return s;
  }
  auto file = env->NewWritableFile(dir + "/reduced.jsonl");
  if (!file.ok()) return file.status();
  LinesWriter writer(std::move(*file));
  aviary::shuffle::ReduceStats stats;
  const auto t0 = std::chrono::steady_clock::now();
  aviary::Status s = aviary::shuffle::RunReduce(env, job, segments, &writer, &stats, nullptr, nullptr);
  if (s.ok()) s = writer.Close();
  *reduce_s = Seconds(t0, std::chrono::steady_clock::now());
  *keys = stats.keys_out;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t memory_mb = 512;
  uint32_t partitions = 2;
  bool compress = true;
  bool lines_only = false;
  bool reduce = false;
  int repeat = 1;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--memory" && i + 1 < argc) memory_mb = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--partitions" && i + 1 < argc) partitions = static_cast<uint32_t>(std::atoi(argv[++i]));
    else if (a == "--no-compress") compress = false;
    else if (a == "--lines") lines_only = true;
    else if (a == "--reduce") reduce = true;
    else if (a == "--repeat" && i + 1 < argc) repeat = std::atoi(argv[++i]);
    else files.push_back(a);
  }
  if (files.empty() || (reduce && files.size() < 2)) {
    std::fprintf(stderr, "usage: collector_bench [--memory MB] [--partitions R] [--no-compress] [--lines] "
                         "[--reduce] [--repeat N] FILE... (--reduce: at least two files)\n");
    return 2;
  }
  std::string text;
  std::vector<size_t> file_ends;
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
    file_ends.push_back(text.size());
  }
  // Records as the files input hands them to Map: lines without their '\n', or blocks of whole
  // lines that end at the last '\n' of each 1 MiB (its read size). With --reduce, the first
  // half of the files make map task 0's records and the rest map task 1's.
  constexpr size_t kReadSize = 1 << 20;
  const size_t half = reduce ? file_ends[files.size() / 2 - 1] : text.size();
  std::vector<std::vector<std::string_view>> tasks(reduce ? 2 : 1);
  for (size_t pos = 0; pos < text.size();) {
    const size_t end = pos < half ? half : text.size();
    size_t nl = lines_only ? text.find('\n', pos) : text.rfind('\n', std::min(end, pos + kReadSize) - 1);
    if (!lines_only && (nl == std::string::npos || nl < pos)) nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    tasks[pos < half ? 0 : 1].emplace_back(text.data() + pos, nl - pos);
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
    std::vector<MapRun> maps(tasks.size());
    MapRun total;
    for (size_t m = 0; m < tasks.size(); ++m) {
      aviary::Status s = RunMapTask(env, &job, options, text, tasks[m], dir + "/output-" + std::to_string(m), &maps[m]);
      if (!s.ok()) {
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        return 1;
      }
      total.emit_s += maps[m].emit_s;
      total.finish_s += maps[m].finish_s;
      total.stats.records_emitted += maps[m].stats.records_emitted;
      total.stats.records_out += maps[m].stats.records_out;
      total.stats.spills += maps[m].stats.spills;
      for (uint64_t b : maps[m].stats.partition_bytes) total.stats.output_bytes += b;
    }
    double reduce_s = 0;
    uint64_t reduced_keys = 0;
    if (reduce) {
      if (aviary::Status s = RunReduceOfPartition0(env, &job, dir, maps, &reduce_s, &reduced_keys); !s.ok()) {
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        return 1;
      }
    }
    struct rusage ru {};
    ::getrusage(RUSAGE_SELF, &ru);
    std::printf("{\"emit_s\": %.4f, \"finish_s\": %.4f, \"mb_per_s\": %.1f, \"emitted\": %llu, \"keys\": %llu, "
                "\"spills\": %llu, \"output_bytes\": %llu, ",
                total.emit_s, total.finish_s, text.size() / 1e6 / (total.emit_s + total.finish_s),
                static_cast<unsigned long long>(total.stats.records_emitted),
                static_cast<unsigned long long>(total.stats.records_out),
                static_cast<unsigned long long>(total.stats.spills),
                static_cast<unsigned long long>(total.stats.output_bytes));
    if (reduce) {
      std::printf("\"reduce_s\": %.4f, \"reduced_keys\": %llu, ", reduce_s, static_cast<unsigned long long>(reduced_keys));
    }
    std::printf("\"max_rss_mb\": %.1f, \"input_rss_mb\": %.1f}\n", ru.ru_maxrss / 1024.0, input_rss_mb);
    std::fflush(stdout);
  }
  (void)env->DeleteRecursively(dir);
  return 0;
}
