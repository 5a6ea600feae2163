#include "worker/output_capture.h"

#include <gtest/gtest.h>

namespace aviary::worker {
namespace {

TEST(OutputCapture, KeepsEverythingThatFits) {
  OutputCapture capture(8);
  capture.Append("hello ");
  capture.Append("world");
  EXPECT_EQ(capture.Contents(), "hello world");
  EXPECT_EQ(capture.Tail(5), "world");
  EXPECT_EQ(capture.dropped_bytes(), 0u);
}

TEST(OutputCapture, KeepsHeadAndTailOfAFloodAndCountsTheRest) {
  OutputCapture capture(4);
  capture.Append("HEAD");
  for (int i = 0; i < 100000; ++i) capture.Append("x");
  capture.Append("TAIL");
  EXPECT_EQ(capture.total_bytes(), 100008u);
  EXPECT_EQ(capture.Tail(4), "TAIL");
  EXPECT_EQ(capture.Contents(), "HEAD\n[... 100000 bytes of output dropped ...]\nTAIL");
}

TEST(OutputCapture, OneHugeWriteIsCutToo) {
  OutputCapture capture(4);
  capture.Append(std::string(1 << 20, 'y') + "END!");
  EXPECT_EQ(capture.Tail(100), "END!");
  EXPECT_EQ(capture.dropped_bytes(), (1u << 20) - 4);
}

}  // namespace
}  // namespace aviary::worker
