// Splits text into words for the example jobs: a word is a maximal run of ASCII letters
// [A-Za-z], case kept. One table lookup per byte; words are views into the text, never copies.
#ifndef AVIARY_EXAMPLES_TOKENIZER_H_
#define AVIARY_EXAMPLES_TOKENIZER_H_

#include <array>
#include <string_view>

namespace aviary_examples {

inline constexpr std::array<bool, 256> kIsLetter = [] {
  std::array<bool, 256> t{};
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = t[c + ('a' - 'A')] = true;
  return t;
}();

// Calls `on_word(std::string_view)` for each word of `text`, in order.
template <typename F>
inline void ForEachWord(std::string_view text, F&& on_word) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (true) {
    while (p < end && !kIsLetter[*p]) ++p;
    if (p == end) return;
    const auto* start = p;
    while (p < end && kIsLetter[*p]) ++p;
    on_word(std::string_view(reinterpret_cast<const char*>(start), static_cast<size_t>(p - start)));
  }
}

}  // namespace aviary_examples

#endif  // AVIARY_EXAMPLES_TOKENIZER_H_
