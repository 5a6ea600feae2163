// JSON lines: one JSON document per line, parsed into BSON with libbson, so Extended JSON such as
// {"$oid": ...} or {"$date": ...} turns into the matching BSON types.
#ifndef AVIARY_STORAGE_FILES_JSONL_H_
#define AVIARY_STORAGE_FILES_JSONL_H_

#include <string>
#include <string_view>

namespace aviary {

// True when `path` names a JSON lines file (by its ".jsonl" or ".json" extension).
bool IsJsonLinesPath(std::string_view path);

// True when `line` holds only blanks; such lines hold no document and are skipped.
bool IsBlankLine(std::string_view line);

// Parses one JSON object into the BSON bytes `*bson` (replacing its contents; its capacity is
// reused). On failure returns false and sets `*error` to libbson's message.
bool ParseJsonLine(std::string_view line, std::string* bson, std::string* error);

}  // namespace aviary

#endif  // AVIARY_STORAGE_FILES_JSONL_H_
