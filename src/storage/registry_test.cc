// The registry on its own, with made-up kinds: lookup by prefix, option checks, usage lists.
#include "storage/registry.h"

#include <gtest/gtest.h>

namespace aviary {
namespace {

class NoInput : public InputFormat {
 public:
  StatusOr<std::vector<rpc::InputSplit>> PlanSplits(const PlanContext&) override { return std::vector<rpc::InputSplit>(); }
  Status ReadSplit(const rpc::InputSplit&, RecordSink*, InputStats*) override { return Status::OK(); }
};

InputKind Kind(const std::string& name, std::vector<std::string> prefixes, std::vector<std::string> options,
               std::string* rest_seen) {
  InputKind kind;
  kind.name = name;
  kind.prefixes = std::move(prefixes);
  kind.usage = name + ":X";
  kind.options = std::move(options);
  kind.open = [rest_seen](const FormatArgs& args) -> StatusOr<std::unique_ptr<InputFormat>> {
    *rest_seen = std::string(args.rest);
    return std::unique_ptr<InputFormat>(new NoInput());
  };
  return kind;
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.AddInput(Kind("a", {"a:"}, {"field"}, &rest_)).ok());
    ASSERT_TRUE(registry_.AddInput(Kind("ab", {"a:b/"}, {}, &rest_)).ok());
    ASSERT_TRUE(registry_.AddInput(Kind("c", {"c://", "c+s://"}, {}, &rest_)).ok());
  }
  StatusOr<std::unique_ptr<InputFormat>> Open(const std::string& uri, FormatOptions options = {}) {
    return registry_.OpenInput(uri, options, job_, Env::Default());
  }

  FormatRegistry registry_;
  rpc::JobSpec job_;
  std::string rest_;
};

TEST_F(RegistryTest, TheLongestPrefixWins) {
  ASSERT_TRUE(Open("a:b/x").ok());
  EXPECT_EQ(rest_, "x");
  ASSERT_TRUE(Open("a:bx").ok());
  EXPECT_EQ(rest_, "bx");
  ASSERT_TRUE(Open("c+s://h/d").ok());
  EXPECT_EQ(rest_, "h/d");
}

TEST_F(RegistryTest, UnknownUrisListTheKnownKinds) {
  Status s = Open("hdfs://x").status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "unsupported input URI 'hdfs://x': expected a:X, ab:X or c:X");
}

TEST_F(RegistryTest, AKindRefusesOptionsItDoesNotTake) {
  FormatOptions options;
  options["field"] = "body";
  EXPECT_TRUE(Open("a:x", options).ok());
  Status s = Open("c://h", options).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "c: input does not take --field");
}

TEST_F(RegistryTest, APrefixHasOneOwner) {
  Status s = registry_.AddInput(Kind("d", {"c://"}, {}, &rest_));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("taken by c"), std::string::npos) << s.message();
}

TEST_F(RegistryTest, ClientChecksOnlyKnownKinds) {
  job_.set_input_uri("c://h");
  (*job_.mutable_input_options())["query"] = "{}";
  EXPECT_EQ(registry_.CheckJobOptions(job_).message(), "c: input does not take --query");
  job_.set_input_uri("elsewhere");  // the coordinator reports an unknown URI
  EXPECT_TRUE(registry_.CheckJobOptions(job_).ok());
}

// A worker's fork server preloads what a job's kinds need, and only those.
TEST_F(RegistryTest, PreloadRunsTheHooksOfTheJobsKindsOnly) {
  std::vector<std::string> loaded;
  FormatRegistry registry;
  for (const char* name : {"x", "y"}) {
    InputKind in = Kind(name, {std::string(name) + ":"}, {}, &rest_);
    in.preload = [&loaded, name] { loaded.push_back(std::string("in ") + name); };
    ASSERT_TRUE(registry.AddInput(std::move(in)).ok());
  }
  OutputKind out;
  out.name = "z";
  out.prefixes = {"z:"};
  out.preload = [&loaded] { loaded.push_back("out z"); };
  ASSERT_TRUE(registry.AddOutput(std::move(out)).ok());
  rpc::JobSpec job;
  job.set_input_uri("y:/data");
  job.set_output_uri("z:/out");
  registry.Preload(job);
  EXPECT_EQ(loaded, (std::vector<std::string>{"in y", "out z"}));
  loaded.clear();
  job.set_input_uri("elsewhere:/data");  // no kind owns it: nothing to load, and no error
  job.set_output_uri("x:/out");          // an input kind's prefix, not an output's
  registry.Preload(job);
  EXPECT_TRUE(loaded.empty());
}

}  // namespace
}  // namespace aviary
