// A plugin that always fails the same way, chosen by --param mode=segv|abort|throw|exit|loop|setup;
// mode=throw_once throws only in the attempt that creates the file --param marker= names;
// --param blocks=1 takes text lines in blocks (Job::map_takes_line_blocks).
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "aviary/aviary.h"

class Faulty : public aviary::Job {
 public:
  bool Setup(const aviary::Params& params, std::string* error) override {
    mode_ = std::string(params.Get("mode", "segv"));
    blocks_ = params.Get("blocks") == "1";
    if (mode_ == "throw_once") {
      const int fd = ::open(std::string(params.Get("marker")).c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
      first_ = fd >= 0;  // only the first attempt creates it
      if (fd >= 0) ::close(fd);
    }
    if (mode_ == "setup") *error = "refusing to start (mode=setup)";
    return mode_ != "setup";
  }
  // A real invalid write, not one the sanitizers turn into an abort.
  __attribute__((no_sanitize("address", "undefined"))) void Map(const aviary::Record&, aviary::MapContext&) override {
    if (mode_ == "segv") {
      volatile int* p = nullptr;
      *p = 42;
    }
    if (mode_ == "abort") std::abort();
    if (mode_ == "throw") throw std::runtime_error("faulty plugin threw on purpose");
    if (mode_ == "throw_once" && first_) throw std::runtime_error("faulty plugin threw on its first attempt");
    if (mode_ == "exit") std::exit(7);
    if (mode_ == "loop") {
      volatile unsigned long spins = 0;
      while (true) spins = spins + 1;
    }
  }
  aviary::Value Reduce(aviary::ValueView, const aviary::Values& values) override { return aviary::Value(values[0]); }
  bool map_takes_line_blocks() const override { return blocks_; }

 private:
  std::string mode_;
  bool blocks_ = false;
  bool first_ = false;
};

AVIARY_PLUGIN(Faulty, "faulty", "test: always fails in the way --param mode= names")
