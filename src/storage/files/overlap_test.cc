#include "storage/files/overlap.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/scratch_dir.h"
#include "storage/files/files_input.h"
#include "storage/files/test_util.h"

namespace aviary {
namespace {

class OverlapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.Join("in/sub"));
    WriteTestFile(dir_.Join("in/a.txt"), "a\n");
    WriteTestFile(dir_.Join("in/sub/b.txt"), "b\n");
  }

  // The footprint a files: input of `glob` reports after planning.
  InputFootprint Planned(const std::string& glob) {
    std::unique_ptr<InputFormat> input = NewFilesInput(glob, {}, Env::Default());
    EXPECT_TRUE(input->PlanSplits({1}).ok());
    return input->Footprint();
  }

  Status Check(const std::string& glob, const std::string& out) {
    return CheckFilesOutputSparesInput(Env::Default(), out, Planned(glob));
  }

  ScratchDir dir_;
};

TEST_F(OverlapTest, OutputElsewhereOrAboveTheInputIsAccepted) {
  EXPECT_TRUE(Check(dir_.Join("in/*.txt"), dir_.Join("out")).ok());
  EXPECT_TRUE(Check(dir_.Join("in/*.txt"), dir_.path()).ok());  // a parent: its own files only
  EXPECT_TRUE(Check(dir_.Join("in/*.txt"), dir_.Join("in/sub")).ok());
}

TEST_F(OverlapTest, OutputEqualToTheInputDirectoryIsRefused) {
  Status s = Check(dir_.Join("in/*.txt"), dir_.Join("in"));
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("is the input's directory"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(dir_.Join("in")), std::string::npos) << s.message();
}

// The usual layout: DIR/in.txt to DIR/out. Nothing written there is read by the glob.
TEST_F(OverlapTest, OutputInASubdirectoryTheGlobDoesNotMatchIsAccepted) {
  EXPECT_TRUE(Check(dir_.Join("in/*.txt"), dir_.Join("in/out")).ok());
  EXPECT_TRUE(Check(dir_.Join("in/a.txt"), dir_.Join("in/sub/out")).ok());
}

TEST_F(OverlapTest, OutputInsideADirectoryTheGlobMatchesIsRefused) {
  // in/* names in/sub itself (planning would refuse that directory; the check does not plan).
  InputFootprint input;
  input.file_globs.push_back(CanonicalGlob(Env::Default(), dir_.Join("in/*")));
  Status s = CheckFilesOutputSparesInput(Env::Default(), dir_.Join("in/sub/out"), input);
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("is matched by the input glob"), std::string::npos) << s.message();
}

TEST_F(OverlapTest, OutputTheGlobMatchesIsRefused) {
  // in/*/*.txt reads the files of every directory in in/: in/new would be one of them.
  Status s = Check(dir_.Join("in/*/*.txt"), dir_.Join("in/new"));
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("reads"), std::string::npos) << s.message();
  WriteTestFile(dir_.Join("in/c.jsonl"), "{}\n");
  s = Check(dir_.Join("*/*.jsonl"), dir_.Join("out"));  // out/part-00000.jsonl would match
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
}

TEST_F(OverlapTest, SymlinksAndDotDotAreResolvedBeforeComparing) {
  ASSERT_EQ(::symlink(dir_.Join("in").c_str(), dir_.Join("link").c_str()), 0);
  EXPECT_EQ(Check(dir_.Join("in/*.txt"), dir_.Join("link")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Check(dir_.Join("link/*.txt"), dir_.Join("in")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Check(dir_.Join("in/*.txt"), dir_.Join("out/../in")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Check(dir_.Join("in/sub/../*.txt"), dir_.Join("in/")).code(), StatusCode::kInvalidArgument);
}

TEST_F(OverlapTest, CanonicalGlobResolvesOnlyTheFixedPart) {
  ASSERT_EQ(::symlink(dir_.Join("in").c_str(), dir_.Join("link").c_str()), 0);
  const std::string real = std::filesystem::canonical(dir_.Join("in")).string();
  EXPECT_EQ(CanonicalGlob(Env::Default(), dir_.Join("link/*.txt")), real + "/*.txt");
  EXPECT_EQ(CanonicalGlob(Env::Default(), dir_.Join("link/s*/x")), real + "/s*/x");
  EXPECT_EQ(CanonicalGlob(Env::Default(), "/*.txt"), "/*.txt");
}

}  // namespace
}  // namespace aviary
