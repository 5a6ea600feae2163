#include "client/submission.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "storage/registry.h"

namespace aviary::client {
namespace {

// Daemons run elsewhere: a relative files: path is sent as this directory's absolute path (the
// files kind's client_uri, which BuildSubmission applies to both URIs).
TEST(AbsoluteFilesUri, MakesRelativeFilesPathsAbsoluteOnly) {
  const std::string cwd = std::filesystem::current_path().string();
  auto AbsoluteFilesUri = [](const std::string& uri) { return FormatRegistry::Default().ClientUri(uri); };
  EXPECT_EQ(AbsoluteFilesUri("files:in/*.txt"), "files:" + cwd + "/in/*.txt");
  EXPECT_EQ(AbsoluteFilesUri("files:./out/../res"), "files:" + cwd + "/res");
  EXPECT_EQ(AbsoluteFilesUri("files:/abs/dir"), "files:/abs/dir");
  EXPECT_EQ(AbsoluteFilesUri("files:"), "files:");
  EXPECT_EQ(AbsoluteFilesUri("mongodb://h:1/db.coll"), "mongodb://h:1/db.coll");
  EXPECT_EQ(AbsoluteFilesUri("inline"), "inline");
}

TEST(BuildSubmission, AMissingPluginFailsBeforeAnythingIsSent) {
  JobOptions options;
  options.job = "/nonexistent/plugin.so";
  options.input = "files:/in";
  options.output = "inline";
  StatusOr<rpc::SubmitJobRequest> request = BuildSubmission(options);
  ASSERT_FALSE(request.ok());
  EXPECT_NE(request.status().message().find("/nonexistent/plugin.so"), std::string::npos) << request.status().message();
}

}  // namespace
}  // namespace aviary::client
