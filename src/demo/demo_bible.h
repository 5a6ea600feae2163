// The demo's corpus: the King James Bible as Debian's bible-kjv package prints it
// (`bible -f Gen1:1-Rev22:21`, one verse a line: "Ge1:1 In the beginning ..."), turned into
// documents {_id: "Ge1:1", book: "Ge", chapter: 1, verse: 1, text: "In the beginning ..."}.
#ifndef AVIARY_DEMO_DEMO_BIBLE_H_
#define AVIARY_DEMO_DEMO_BIBLE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "loader/load_input.h"
#include "common/status.h"

namespace aviary::demo {

inline constexpr std::string_view kBibleRange = "Gen1:1-Rev22:21";

struct Verse {
  std::string_view ref;   // "Ge1:1"
  std::string_view book;  // "Ge", "1Sm", "Rev"
  int32_t chapter = 0;
  int32_t verse = 0;
  std::string_view text;
};

// Parses one line of `bible -f` output; false when it is not "BOOKc:v text".
bool ParseVerse(std::string_view line, Verse* verse);

// Appends the verse as a document to `docs`.
void AddVerse(const Verse& verse, uint64_t line, loader::DocumentSet* docs);

// Runs `bible_path -f Gen1:1-Rev22:21` and returns every verse as a document. Fails naming the
// line that is not a verse, or when the program fails.
StatusOr<loader::DocumentSet> ReadKingJamesBible(const std::string& bible_path);

}  // namespace aviary::demo

#endif  // AVIARY_DEMO_DEMO_BIBLE_H_
