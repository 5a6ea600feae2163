// Word count that misbehaves at random (after MIT 6.5840's crash.go): each attempt, chosen at
// Setup, either runs normally, or crashes (exit, abort, segfault) at a random record, or stalls.
// With enough attempts allowed, the output must still equal a plain word count.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <random>
#include <thread>

#include "aviary/aviary.h"
#include "tokenize.h"

class CrashingWordCount : public aviary::Job {
 public:
  bool Setup(const aviary::Params&, std::string*) override {
    std::mt19937 rng(static_cast<unsigned>(::getpid()) ^ static_cast<unsigned>(
                         std::chrono::steady_clock::now().time_since_epoch().count()));
    fate_ = static_cast<int>(rng() % 8);        // 0-2 crash, 3 stall, others fine
    trigger_ = static_cast<int>(rng() % 300);   // after this many calls
    return true;
  }
  void Map(const aviary::Record& record, aviary::MapContext& ctx) override {
    MaybeMisbehave();
    ForEachWord(record.text(), [&](std::string_view w) { ctx.Emit(w, 1); });
  }
  aviary::Combiner combiner() const override { return aviary::Combiner::kSum; }
  aviary::Value Reduce(aviary::ValueView, const aviary::Values& values) override {
    MaybeMisbehave();
    int64_t sum = 0;
    for (auto v : values) sum += v.as_int();
    return aviary::Value::Int64(sum);
  }

 private:
  void MaybeMisbehave() {
    if (calls_++ != trigger_) return;
    switch (fate_) {
      case 0: std::exit(1);
      case 1: std::abort();
      case 2: std::raise(SIGSEGV); break;
      case 3: std::this_thread::sleep_for(std::chrono::hours(1)); break;
      default: break;
    }
  }
  int fate_ = 7;
  int trigger_ = 0;
  int calls_ = 0;
};

AVIARY_PLUGIN(CrashingWordCount, "crash", "test: word count that crashes or stalls at random")
