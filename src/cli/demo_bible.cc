#include "cli/demo_bible.h"

#include <sys/wait.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <memory>

namespace aviary::cli {
namespace {

struct PipeCloser {
  void operator()(FILE* f) const { (void)::pclose(f); }
};

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

void AddVerse(const Verse& verse, uint64_t line, DocumentSet* docs) {
  bson_t doc = BSON_INITIALIZER;
  bson_append_utf8(&doc, "_id", 3, verse.ref.data(), static_cast<int>(verse.ref.size()));
  bson_append_utf8(&doc, "book", 4, verse.book.data(), static_cast<int>(verse.book.size()));
  BSON_APPEND_INT32(&doc, "chapter", verse.chapter);
  BSON_APPEND_INT32(&doc, "verse", verse.verse);
  bson_append_utf8(&doc, "text", 4, verse.text.data(), static_cast<int>(verse.text.size()));
  docs->Add(&doc, line);
  bson_destroy(&doc);
}

StatusOr<DocumentSet> ReadKingJamesBible(const std::string& bible_path) {
  const std::string command = "'" + bible_path + "' -f " + std::string(kBibleRange) + " 2>&1";
  const std::string source = "`bible -f " + std::string(kBibleRange) + "`";
  std::unique_ptr<FILE, PipeCloser> pipe(::popen(command.c_str(), "r"));
  if (!pipe) return Internal("cannot run " + bible_path);
  DocumentSet docs(source + " line", /*by_line=*/true);
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
  const int rc = ::pclose(pipe.release());
  RETURN_IF_ERROR(status);
  if (rc != 0 || docs.size() == 0) {
    return Internal(bible_path + " -f " + std::string(kBibleRange) + " failed (status " + std::to_string(WEXITSTATUS(rc)) +
                    ", " + std::to_string(docs.size()) + " verses)");
  }
  return docs;
}

}  // namespace aviary::cli
