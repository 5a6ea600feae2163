#include <gtest/gtest.h>

#include "storage/input.h"
#include "storage/output.h"

namespace aviary {
namespace {

rpc::JobSpec Spec(const std::string& input, const std::string& output) {
  rpc::JobSpec job;
  job.set_input_uri(input);
  job.set_output_uri(output);
  return job;
}

TEST(FormatsTest, FilesScheme) {
  EXPECT_TRUE(InputFormat::ForJob(Spec("files:/tmp/*.txt", ""), Env::Default()).ok());
  StatusOr<std::unique_ptr<OutputFormat>> out = OutputFormat::ForJob(Spec("", "files:/tmp/out/"), Env::Default());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)->Describe(), "files:/tmp/out");
}

TEST(FormatsTest, EmptyFilesUri) {
  EXPECT_EQ(InputFormat::ForJob(Spec("files:", ""), Env::Default()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OutputFormat::ForJob(Spec("", "files:"), Env::Default()).status().code(), StatusCode::kInvalidArgument);
}

// Daemons have their own working directories: a relative path would land in theirs.
TEST(FormatsTest, RelativeFilesPathsAreRefused) {
  Status in = InputFormat::ForJob(Spec("files:data/*.txt", ""), Env::Default()).status();
  EXPECT_EQ(in.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(in.message(), "input path 'data/*.txt' is relative: files: URIs must be absolute on the cluster "
                          "(aviary submit makes them so)");
  Status out = OutputFormat::ForJob(Spec("", "files:out"), Env::Default()).status();
  EXPECT_EQ(out.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.message().find("output path 'out' is relative"), std::string::npos) << out.message();
}

TEST(FormatsTest, MongoUrisPickTheMongoFormats) {
  auto in = InputFormat::ForJob(Spec("mongodb://localhost:27017/db.coll", ""), Env::Default());
  EXPECT_TRUE(in.ok()) << in.status().ToString();
  auto out = OutputFormat::ForJob(Spec("", "mongodb://localhost:27017/db.out"), Env::Default());
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  auto no_collection = InputFormat::ForJob(Spec("mongodb://localhost:1/db", ""), Env::Default());
  EXPECT_EQ(no_collection.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_collection.status().message().find("collection"), std::string::npos) << no_collection.status().message();
}

TEST(FormatsTest, UnknownScheme) {
  auto in = InputFormat::ForJob(Spec("hdfs://x/y", ""), Env::Default());
  EXPECT_EQ(in.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(in.status().message(), "unsupported input URI 'hdfs://x/y': expected files:GLOB or mongodb://HOST:PORT/DB.COLL");
  auto out = OutputFormat::ForJob(Spec("", "data/out"), Env::Default());
  EXPECT_EQ(out.status().message(), "unsupported output URI 'data/out': expected files:DIR or mongodb://HOST:PORT/DB.COLL");
}

}  // namespace
}  // namespace aviary
