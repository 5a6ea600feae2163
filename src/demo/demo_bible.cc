#include "demo/demo_bible.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/subprocess.h"

namespace aviary::demo {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { (void)std::fclose(f); }
};

// Starts `bible_path -f RANGE` with its stdout and stderr into a pipe; returns the read end.
StatusOr<pid_t> StartBible(const std::string& bible_path, int* read_fd) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Internal(std::string("pipe: ") + std::strerror(errno));
  SpawnSpec child;
  child.argv = {bible_path, "-f", std::string(kBibleRange)};
  child.Dup(fds[1], 1).Dup(fds[1], 2);
  StatusOr<pid_t> pid = Spawn(child);
  ::close(fds[1]);
  if (!pid.ok()) {
    ::close(fds[0]);
    return Internal("cannot run " + bible_path);
  }
  *read_fd = fds[0];
  return pid;
}

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool IsAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

// Parses a positive decimal at the start of `s`, advancing it.
bool TakeNumber(std::string_view* s, int32_t* out) {
  const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), *out);
  if (ec != std::errc() || end == s->data() || *out <= 0) return false;
  s->remove_prefix(static_cast<size_t>(end - s->data()));
  return true;
}

std::string_view TrimLineEnd(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

}  // namespace

bool ParseVerse(std::string_view line, Verse* verse) {
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) return false;
  verse->ref = line.substr(0, space);
  verse->text = line.substr(space + 1);
  std::string_view rest = verse->ref;
  size_t book_len = !rest.empty() && IsDigit(rest[0]) ? 1 : 0;  // "1Sm", "2Ki"
  while (book_len < rest.size() && IsAlpha(rest[book_len])) ++book_len;
  if (book_len == 0 || !IsAlpha(rest[book_len - 1])) return false;
  verse->book = rest.substr(0, book_len);
  rest.remove_prefix(book_len);
  if (!TakeNumber(&rest, &verse->chapter) || rest.empty() || rest[0] != ':') return false;
  rest.remove_prefix(1);
  return TakeNumber(&rest, &verse->verse) && rest.empty();
}

void AddVerse(const Verse& verse, uint64_t line, loader::DocumentSet* docs) {
  bson_t doc = BSON_INITIALIZER;
  bson_append_utf8(&doc, "_id", 3, verse.ref.data(), static_cast<int>(verse.ref.size()));
  bson_append_utf8(&doc, "book", 4, verse.book.data(), static_cast<int>(verse.book.size()));
  BSON_APPEND_INT32(&doc, "chapter", verse.chapter);
  BSON_APPEND_INT32(&doc, "verse", verse.verse);
  bson_append_utf8(&doc, "text", 4, verse.text.data(), static_cast<int>(verse.text.size()));
  docs->Add(&doc, line);
  bson_destroy(&doc);
}

StatusOr<loader::DocumentSet> ReadKingJamesBible(const std::string& bible_path) {
  const std::string source = "`bible -f " + std::string(kBibleRange) + "`";
  int read_fd = -1;
  ASSIGN_OR_RETURN(pid_t pid, StartBible(bible_path, &read_fd));
  std::unique_ptr<FILE, FileCloser> pipe(::fdopen(read_fd, "r"));
  if (!pipe) {
    ::close(read_fd);
    SignalProcess(pid, SIGKILL);
    (void)WaitForExit(pid);
    return Internal("cannot run " + bible_path);
  }
  loader::DocumentSet docs(source + " line", /*by_line=*/true);
  char* buf = nullptr;
  size_t cap = 0;
  uint64_t number = 0;
  Status status;
  // Reads to the end even after a bad line, so that the program never blocks on a full pipe.
  for (ssize_t n; (n = ::getline(&buf, &cap, pipe.get())) > 0;) {
    ++number;
    if (!status.ok()) continue;
    const std::string_view line = TrimLineEnd(std::string_view(buf, static_cast<size_t>(n)));
    Verse verse;
    if (!ParseVerse(line, &verse)) {
      status = Internal(source + " line " + std::to_string(number) + " is not a verse: '" + std::string(line.substr(0, 120)) + "'");
    } else {
      AddVerse(verse, number, &docs);
    }
  }
  std::free(buf);
  pipe.reset();
  ASSIGN_OR_RETURN(const int rc, WaitForExit(pid));
  RETURN_IF_ERROR(status);
  if (rc != 0 || docs.size() == 0) {
    return Internal(bible_path + " -f " + std::string(kBibleRange) + " failed (status " + std::to_string(WEXITSTATUS(rc)) +
                    ", " + std::to_string(docs.size()) + " verses)");
  }
  return docs;
}

}  // namespace aviary::demo
