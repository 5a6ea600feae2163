#include "client/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace aviary::client {
namespace {

rpc::JobStatus Mapping(uint32_t done, uint32_t running, uint64_t records) {
  rpc::JobStatus job;
  job.set_job_id("job-1");
  job.set_state(rpc::MAPPING);
  job.set_maps_total(10);
  job.set_maps_done(done);
  job.set_maps_running(running);
  job.set_reduces_total(2);
  job.set_input_records(records);
  return job;
}

// What a printer writes, read back from a temporary file.
class Capture {
 public:
  Capture() : file_(std::tmpfile()) {}
  ~Capture() { std::fclose(file_); }
  FILE* file() { return file_; }
  std::string Text() {
    std::fflush(file_);
    std::rewind(file_);
    std::string out;
    for (int c; (c = std::fgetc(file_)) != EOF;) out.push_back(static_cast<char>(c));
    return out;
  }

 private:
  FILE* file_;
};

int Lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

TEST(ProgressLine, ShowsTasksRecordsRateAndEta) {
  ProgressRates rates{340'000, 4, 2};
  const std::string line = ProgressLine(Mapping(5, 2, 1'200'000), rates, 10);
  EXPECT_NE(line.find("job-1 mapping"), std::string::npos) << line;
  EXPECT_NE(line.find("[####------]"), std::string::npos) << line;  // 5 of 12 tasks
  EXPECT_NE(line.find("map 5/10 (2 running) reduce 0/2"), std::string::npos) << line;
  EXPECT_NE(line.find("1.2M records in"), std::string::npos) << line;
  EXPECT_NE(line.find("340k/s"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 4 s"), std::string::npos) << line;
  EXPECT_EQ(ProgressLine(Mapping(5, 2, 0), ProgressRates{}, 0).find('['), std::string::npos);
}

TEST(ProgressLine, CommitShowsHowLongItHasRun) {
  rpc::JobStatus job = Mapping(10, 0, 100);
  job.set_state(rpc::COMMITTING);
  const std::string line = ProgressLine(job, ProgressRates{-1, -1, 75}, 0);
  EXPECT_NE(line.find("committing for 1 min 15 s"), std::string::npos) << line;
  EXPECT_EQ(line.find("ETA"), std::string::npos);
}

TEST(ProgressPrinter, MeasuresRateAndEtaAcrossPolls) {
  Capture out;
  ProgressPrinter printer(out.file(), /*tty=*/true);
  printer.Show(Mapping(0, 2, 0), 0);
  printer.Show(Mapping(2, 2, 1000), 2);  // 2 of 10 maps in 2 s: 8 s to go; 500 records/s
  printer.Finish();
  const std::string text = out.Text();
  EXPECT_NE(text.find("500/s"), std::string::npos) << text;
  EXPECT_NE(text.find("ETA 8 s"), std::string::npos) << text;
  EXPECT_EQ(Lines(text), 1) << "a terminal gets one line, redrawn";
}

TEST(ProgressPrinter, PlainOutputPrintsALinePerChangeAndThrottlesRecordCounts) {
  Capture out;
  ProgressPrinter printer(out.file(), /*tty=*/false);
  printer.Show(Mapping(0, 2, 0), 0);
  printer.Show(Mapping(0, 2, 0), 0.1);    // nothing new
  printer.Show(Mapping(0, 2, 500), 1);    // records only, too soon
  printer.Show(Mapping(1, 2, 600), 1.5);  // a map done
  printer.Show(Mapping(1, 2, 900), 7);    // records only, after 5 s
  printer.Finish();
  EXPECT_EQ(Lines(out.Text()), 3) << out.Text();
  EXPECT_EQ(out.Text().find('\r'), std::string::npos);
}

}  // namespace
}  // namespace aviary::client
