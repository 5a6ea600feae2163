#include <gtest/gtest.h>

#include <string>

#include "common/env.h"
#include "common/scratch_dir.h"

namespace aviary {
namespace {

// Appends in pieces around several writeback hints; the file must hold exactly what was appended,
// whether a hint came with data still buffered, with nothing new since the last, or after a
// write larger than the buffer.
TEST(PosixWritableFileTest, StartWritebackKeepsEveryByteInOrder) {
  ScratchDir scratch;
  const std::string path = scratch.Join("out");
  Env* env = Env::Default();
  auto file = env->NewWritableFile(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  std::string want;
  const std::string small(1000, 'a');
  const std::string large(3 << 20, 'b');  // beyond the file's own 1 MiB buffer
  for (const std::string* piece : {&small, &large, &small}) {
    ASSERT_TRUE((*file)->Append(*piece).ok());
    want += *piece;
    ASSERT_TRUE((*file)->StartWriteback().ok());
    ASSERT_TRUE((*file)->StartWriteback().ok());  // nothing new: a no-op
  }
  ASSERT_TRUE((*file)->Append("tail").ok());
  want += "tail";
  ASSERT_TRUE((*file)->Flush(/*sync=*/true).ok());
  ASSERT_TRUE((*file)->Close().ok());
  std::string got;
  ASSERT_TRUE(ReadFileToString(env, path, &got).ok());
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want);
}

// The hint hands buffered data to the OS: another reader sees it before any Flush().
TEST(PosixWritableFileTest, StartWritebackMakesBufferedDataVisible) {
  ScratchDir scratch;
  const std::string path = scratch.Join("out");
  Env* env = Env::Default();
  auto file = env->NewWritableFile(path);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("buffered").ok());
  std::string got;
  ASSERT_TRUE(ReadFileToString(env, path, &got).ok());
  EXPECT_EQ(got, "");  // still in the file's buffer
  ASSERT_TRUE((*file)->StartWriteback().ok());
  ASSERT_TRUE(ReadFileToString(env, path, &got).ok());
  EXPECT_EQ(got, "buffered");
  ASSERT_TRUE((*file)->Close().ok());
}

// Prefetch is a hint: whatever range it is given (unaligned, running past the end, empty, after
// a release), the mapping still reads as the file.
TEST(PosixMappedFileTest, PrefetchAnyRangeLeavesTheContentsAsTheFile) {
  ScratchDir scratch;
  const std::string path = scratch.Join("in");
  Env* env = Env::Default();
  std::string want;
  for (int i = 0; i < 300000; ++i) want += static_cast<char>('a' + i % 26);
  {
    auto file = env->NewWritableFile(path);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append(want).ok());
    ASSERT_TRUE((*file)->Close().ok());
  }
  auto mapped = env->MapFile(path);
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  MappedFile& file = **mapped;
  file.Prefetch(0, 4096);
  file.Prefetch(1234, 100000);
  file.Release(0, 200000);
  file.Prefetch(150000, 1 << 20);  // past the end
  file.Prefetch(want.size() - 1, 10);
  file.Prefetch(want.size() + 5000, 10);  // wholly past the end
  file.Prefetch(7, 0);
  EXPECT_TRUE(file.data() == want);
}

}  // namespace
}  // namespace aviary
