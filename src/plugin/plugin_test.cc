#include "plugin/plugin.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace aviary {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/aviary-plugin-test-XXXXXX";
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& contents) const {
    const std::string path = path_ + "/" + name;
    std::ofstream(path) << contents;
    return path;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class Collector : public MapContext {
 public:
  void Emit(ValueView key, ValueView value) override { emitted.emplace_back(std::string(key.as_string()), value.as_int()); }
  void Count(std::string_view, int64_t) override {}
  std::vector<std::pair<std::string, int64_t>> emitted;
};

TEST(PluginTest, LoadsWordcount) {
  StatusOr<std::unique_ptr<Plugin>> plugin = Plugin::Open(WORDCOUNT_SO);
  ASSERT_TRUE(plugin.ok()) << plugin.status().ToString();
  EXPECT_EQ((*plugin)->name(), "wordcount");
  EXPECT_FALSE((*plugin)->description().empty());
  EXPECT_EQ((*plugin)->path(), std::filesystem::path(WORDCOUNT_SO).lexically_normal().string());

  StatusOr<JobPtr> job = (*plugin)->NewJob();
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ((*job)->combiner(), Combiner::kSum);
  Collector ctx;
  RecordSource source;
  (*job)->Map(Record("It's a dog-eat-dog world", nullptr, source), ctx);
  const std::vector<std::pair<std::string, int64_t>> expected = {
      {"It", 1}, {"s", 1}, {"a", 1}, {"dog", 1}, {"eat", 1}, {"dog", 1}, {"world", 1}};
  EXPECT_EQ(ctx.emitted, expected);
}

TEST(PluginTest, MissingFile) {
  StatusOr<std::unique_ptr<Plugin>> plugin = Plugin::Open("/nonexistent/job.so");
  EXPECT_EQ(plugin.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(plugin.status().message(), "plugin /nonexistent/job.so: no such file");
}

TEST(PluginTest, SharedLibraryWithoutEntryPoint) {
  StatusOr<std::unique_ptr<Plugin>> plugin = Plugin::Open(NOT_A_PLUGIN_SO);
  EXPECT_EQ(plugin.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(plugin.status().message(),
            std::string(NOT_A_PLUGIN_SO) + " is not an Aviary plugin (no aviary_plugin_entry symbol)");
}

TEST(PluginTest, TextFileNamedSo) {
  TempDir dir;
  const std::string path = dir.Write("fake.so", "just some text\n");
  StatusOr<std::unique_ptr<Plugin>> plugin = Plugin::Open(path);
  EXPECT_EQ(plugin.status().code(), StatusCode::kInvalidArgument);
  const std::string prefix = path + " is not a loadable shared library: ";
  EXPECT_EQ(plugin.status().message().substr(0, prefix.size()), prefix) << plugin.status().message();
  EXPECT_GT(plugin.status().message().size(), prefix.size());
}

TEST(PluginTest, AbiMismatch) {
  StatusOr<std::unique_ptr<Plugin>> plugin = Plugin::Open(ABI_MISMATCH_SO);
  EXPECT_EQ(plugin.status().code(), StatusCode::kFailedPrecondition);
  const std::string& m = plugin.status().message();
  EXPECT_NE(m.find("ABI version 999"), std::string::npos) << m;
  EXPECT_NE(m.find("this engine uses version " + std::to_string(AVIARY_PLUGIN_ABI_VERSION)), std::string::npos) << m;
}

TEST(PluginTest, ThrowingFactory) {
  StatusOr<std::unique_ptr<Plugin>> plugin = Plugin::Open(THROWING_SO);
  ASSERT_TRUE(plugin.ok()) << plugin.status().ToString();
  StatusOr<JobPtr> job = (*plugin)->NewJob();
  EXPECT_EQ(job.status().code(), StatusCode::kInternal);
  EXPECT_EQ(job.status().message(), "plugin throwing: creating the job threw: constructor exploded");
}

TEST(PluginTest, RelativePathIsMadeAbsolute) {
  const std::filesystem::path so(WORDCOUNT_SO);
  const std::filesystem::path old = std::filesystem::current_path();
  std::filesystem::current_path(so.parent_path());
  StatusOr<std::unique_ptr<Plugin>> plugin = Plugin::Open(so.filename().string());  // no '/': not a search
  std::filesystem::current_path(old);
  ASSERT_TRUE(plugin.ok()) << plugin.status().ToString();
  EXPECT_EQ((*plugin)->path(), so.lexically_normal().string());
}

TEST(ResolvePluginTest, BuiltinsPathsAndUnknownNames) {
  StatusOr<std::string> builtin = ResolvePlugin("wordcount", BUILTIN_DIR);
  ASSERT_TRUE(builtin.ok()) << builtin.status().ToString();
  EXPECT_TRUE(std::filesystem::equivalent(*builtin, WORDCOUNT_SO));

  StatusOr<std::string> relative = ResolvePlugin("jobs/my.so", BUILTIN_DIR);
  ASSERT_TRUE(relative.ok());
  EXPECT_EQ(*relative, (std::filesystem::current_path() / "jobs/my.so").string());
  EXPECT_EQ(*ResolvePlugin("my.so", BUILTIN_DIR), (std::filesystem::current_path() / "my.so").string());
  EXPECT_EQ(*ResolvePlugin("/abs/../x/y.so", BUILTIN_DIR), "/x/y.so");

  StatusOr<std::string> unknown = ResolvePlugin("nope", BUILTIN_DIR);
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  const std::string& m = unknown.status().message();
  EXPECT_EQ(m.substr(0, 34), "unknown job 'nope': not a built-in") << m;
  EXPECT_NE(m.find("wordcount"), std::string::npos) << m;
  EXPECT_NE(m.find(") and not a plugin path"), std::string::npos) << m;

  TempDir empty;
  EXPECT_EQ(ResolvePlugin("nope", empty.path()).status().message(),
            "unknown job 'nope': not a built-in (none installed in " + empty.path() + ") and not a plugin path");
}

TEST(ResolvePluginTest, BuiltinDirIsNextToTheExecutable) {
  EXPECT_TRUE(std::filesystem::equivalent(BuiltinPluginDir(), BUILTIN_DIR)) << BuiltinPluginDir();
}

TEST(Sha256Test, KnownDigest) {
  TempDir dir;
  StatusOr<std::string> abc = Sha256File(dir.Write("abc", "abc"));
  ASSERT_TRUE(abc.ok());
  EXPECT_EQ(*abc, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(*Sha256File(dir.Write("empty", "")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256File(dir.path() + "/missing").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace aviary
