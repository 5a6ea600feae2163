// Encodes values as MongoDB relaxed Extended JSON (v2), the format of result files:
//   strings    "..." (UTF-8 kept; control characters escaped; invalid UTF-8 bytes become U+FFFD)
//   int32/64   plain integers            double  shortest round-trip form, always with '.' or 'e'
//                                                (1.0, 0.1, 1e+100); non-finite as
//                                                {"$numberDouble": "NaN" | "Infinity" | "-Infinity"}
//   document   {"k": v, ...}             array   [v, ...]
//   objectId   {"$oid": "<24 hex>"}      bool, null
//   date       {"$date": "1970-01-01T00:00:00.001Z"} for years 1970-9999, else
//              {"$date": {"$numberLong": "<ms>"}}
//   timestamp  {"$timestamp": {"t": <seconds>, "i": <increment>}}
//   binary     {"$binary": {"base64": "...", "subType": "<2 hex>"}}
// The encoders append to `out` and allocate only when it grows.
#ifndef AVIARY_STORAGE_FILES_JSON_WRITER_H_
#define AVIARY_STORAGE_FILES_JSON_WRITER_H_

#include <string>
#include <string_view>

#include "aviary/value.h"

namespace aviary {

// Appends `value` as relaxed Extended JSON.
void AppendJson(ValueView value, std::string* out);

// Appends `s` as a quoted, escaped JSON string.
void AppendJsonString(std::string_view s, std::string* out);

// Appends one result line: {"_id": <key>, "value": <value>} and '\n'.
void AppendResultLine(ValueView key, ValueView value, std::string* out);

}  // namespace aviary

#endif  // AVIARY_STORAGE_FILES_JSON_WRITER_H_
