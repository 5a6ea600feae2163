// A word count whose attempts take a predictable time, for the fault tests that must strike while
// a job is mapping or reducing (tests/e2e/netns_harness.py compiles it on first use).
//
// --param map_ms=N: a map attempt sleeps N ms before the first record of each input file it reads
//   (each split, where the splits are whole files; an attempt reads more than its own split when
//   it carries others: coordinator/carried_splits.h).
// --param reduce_ms=N: each reduce attempt sleeps N ms before it writes its first key (in
//   Finalize: under the kSum combiner the reduce side adds the sums itself and never calls Reduce).
// --param die_after=N --param marker=PATH: the one reduce attempt that creates the file PATH dies
//   (_exit, as if killed) after N keys, when it has written part of its output.
// Words and counts are exactly those of the built-in wordcount.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

#include "aviary/aviary.h"
#include "tokenize.h"

class SlowCount : public aviary::Job {
 public:
  bool Setup(const aviary::Params& params, std::string*) override {
    map_ms_ = std::atoi(std::string(params.Get("map_ms", "0")).c_str());
    reduce_ms_ = std::atoi(std::string(params.Get("reduce_ms", "0")).c_str());
    die_after_ = std::atoi(std::string(params.Get("die_after", "0")).c_str());
    marker_ = std::string(params.Get("marker", ""));
    return true;
  }
  void Map(const aviary::Record& record, aviary::MapContext& ctx) override {
    if (record.source().file != map_file_) {
      map_file_ = std::string(record.source().file);
      map_slept_ = false;
    }
    Pause(&map_slept_, map_ms_);
    ForEachWord(record.text(), [&](std::string_view w) { ctx.Emit(w, int64_t{1}); });
  }
  aviary::Combiner combiner() const override { return aviary::Combiner::kSum; }
  aviary::Value Reduce(aviary::ValueView, const aviary::Values& values) override {
    int64_t sum = 0;
    for (auto v : values) sum += v.as_int();
    return aviary::Value::Int64(sum);
  }
  // Runs for every key the reduce writes, even where kSum leaves Reduce uncalled.
  bool has_finalize() const override { return die_after_ > 0 || reduce_ms_ > 0; }
  aviary::Value Finalize(aviary::ValueView, aviary::ValueView reduced) override {
    Pause(&reduce_slept_, reduce_ms_);
    if (++finalize_calls_ == die_after_) {
      const int fd = ::open(marker_.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
      if (fd >= 0) ::_exit(9);  // only the first attempt to get here creates the marker
    }
    return aviary::Value(reduced);
  }

 private:
  static void Pause(bool* done, int ms) {
    if (*done) return;
    *done = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  int map_ms_ = 0;
  int reduce_ms_ = 0;
  bool map_slept_ = false;
  std::string map_file_;  // of the last record mapped
  bool reduce_slept_ = false;
  int die_after_ = 0;
  int finalize_calls_ = 0;
  std::string marker_;
};

AVIARY_PLUGIN(SlowCount, "slowcount", "test: word count whose attempts sleep --param map_ms / reduce_ms first")
