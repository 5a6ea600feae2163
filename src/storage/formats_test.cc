#include <gtest/gtest.h>

#include "storage/input.h"
#include "storage/output.h"
#include "storage/registry.h"

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

// The message lists every registered kind, so it grows with each source added.
TEST(FormatsTest, UnknownScheme) {
  auto in = InputFormat::ForJob(Spec("hdfs://x/y", ""), Env::Default());
  EXPECT_EQ(in.status().code(), StatusCode::kInvalidArgument);
  const std::string& in_message = in.status().message();
  EXPECT_TRUE(in_message.starts_with("unsupported input URI 'hdfs://x/y': expected files:GLOB, ")) << in_message;
  EXPECT_NE(in_message.find("mongodb://HOST:PORT/DB.COLL"), std::string::npos) << in_message;
  auto out = OutputFormat::ForJob(Spec("", "data/out"), Env::Default());
  const std::string& out_message = out.status().message();
  EXPECT_TRUE(out_message.starts_with("unsupported output URI 'data/out': expected files:DIR, ")) << out_message;
  for (const char* kind : {"mongodb://HOST:PORT/DB.COLL", "inline"}) {
    EXPECT_NE(out_message.find(kind), std::string::npos) << out_message;
  }
}

// Only options the user gave arrive, so a kind refuses any it does not take, naming the flag.
TEST(FormatsTest, KindsRefuseOptionsTheyDoNotTake) {
  rpc::JobSpec job = Spec("files:/tmp/*.txt", "files:/tmp/out");
  (*job.mutable_input_options())["query"] = "{}";
  EXPECT_EQ(InputFormat::ForJob(job, Env::Default()).status().message(), "files: input does not take --query");
  (*job.mutable_output_options())["out-mode"] = "merge";
  EXPECT_EQ(OutputFormat::ForJob(job, Env::Default()).status().message(), "files: output does not take --out-mode");
  EXPECT_EQ(FormatRegistry::Default().CheckJobOptions(job).message(), "files: input does not take --query");

  job = Spec("mongodb://localhost:27017/db.coll", "mongodb://localhost:27017/db.out");
  (*job.mutable_input_options())["query"] = "{}";
  (*job.mutable_input_options())["field"] = "body";
  (*job.mutable_output_options())["out-mode"] = "merge";
  EXPECT_TRUE(InputFormat::ForJob(job, Env::Default()).ok());
  EXPECT_TRUE(OutputFormat::ForJob(job, Env::Default()).ok());
  (*job.mutable_output_options())["out-mode"] = "append";
  EXPECT_EQ(FormatRegistry::Default().CheckJobOptions(job).message(),
            "--out-mode must be replace, merge or reduce, not 'append'");
}

TEST(FormatsTest, InlineSpoolIsAFilesSinkOfTheCoordinator) {
  auto out = OutputFormat::ForJob(Spec("", "inline:/tmp/spool/job-1"), Env::Default());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)->LocalResultFiles(2),
            (std::vector<std::string>{"/tmp/spool/job-1/part-00000.jsonl", "/tmp/spool/job-1/part-00001.jsonl"}));
}

TEST(FormatsTest, SecretsAreRedactedAndRelativePathsMadeAbsolute) {
  const FormatRegistry& formats = FormatRegistry::Default();
  EXPECT_EQ(formats.RedactUri("mongodb://u:secret@h:1/db.c"), "mongodb://u:***@h:1/db.c");
  EXPECT_EQ(formats.RedactUri("files:/a"), "files:/a");
  EXPECT_TRUE(formats.ClientUri("files:rel/x").starts_with("files:/"));
  EXPECT_EQ(formats.ClientUri("files:/abs"), "files:/abs");
}

}  // namespace
}  // namespace aviary
