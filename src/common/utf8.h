// UTF-8 checks for text that crosses a boundary needing it (protobuf `string` fields, JSON):
// file names and user code's messages may hold any bytes.
#ifndef AVIARY_COMMON_UTF8_H_
#define AVIARY_COMMON_UTF8_H_

#include <string>
#include <string_view>

namespace aviary {

// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(std::string_view s);

// `s` with every byte that is not part of a valid UTF-8 sequence written as the four characters
// \xNN, so a file name stays recognisable in a message.
std::string ToValidUtf8(std::string_view s);

}  // namespace aviary

#endif  // AVIARY_COMMON_UTF8_H_
