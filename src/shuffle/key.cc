#include "shuffle/key.h"

#include <fmt/format.h>

namespace aviary::shuffle {

uint64_t KeyPrefix(std::string_view key) {
  const auto type = static_cast<uint8_t>(key[0]);
  if (detail::IsNumericKey(type) && key.size() == 9) return detail::OrderedNumber(type, key.data() + 1);
  // Big-endian first 8 payload bytes, zero-padded: a zero pad sorts like "shorter first".
  uint64_t prefix = 0;
  const size_t n = key.size() - 1 < 8 ? key.size() - 1 : 8;
  for (size_t i = 0; i < n; ++i) prefix |= uint64_t{static_cast<uint8_t>(key[1 + i])} << (56 - 8 * i);
  return prefix;
}

std::string DescribeKey(std::string_view key) {
  constexpr size_t kMaxChars = 64;
  const ValueView v = DecodeValue(key);
  switch (v.type()) {
    case Type::kString: {
      std::string_view s = v.as_string();
      if (s.size() <= kMaxChars) return fmt::format("\"{}\"", s);
      return fmt::format("\"{}...\" ({} bytes)", s.substr(0, kMaxChars), s.size());
    }
    case Type::kInt64: return std::to_string(v.as_int());
    case Type::kDouble: return fmt::format("{}", v.as_double());
    case Type::kNull: return "null";
    case Type::kBool: return v.as_bool() ? "true" : "false";
    default: return fmt::format("<{} key of {} bytes>", TypeName(v.type()), v.size());
  }
}

}  // namespace aviary::shuffle
