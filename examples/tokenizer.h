// Splits text into words for the example jobs: a word is a maximal run of ASCII letters
// [A-Za-z], case kept. Words are views into the text, never copies.
//
// With SSE2 (every x86-64 CPU) the text is classified 64 bytes at a time into a bit mask of
// letters; word starts and ends are the mask's 0->1 and 1->0 edges, found with count-trailing-
// zeros. That is a few instructions per word and no branch per byte, where a byte loop
// mispredicts at nearly every word boundary. Elsewhere, one table lookup per byte.
#ifndef AVIARY_EXAMPLES_TOKENIZER_H_
#define AVIARY_EXAMPLES_TOKENIZER_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace aviary_examples {

inline constexpr std::array<bool, 256> kIsLetter = [] {
  std::array<bool, 256> t{};
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = t[c + ('a' - 'A')] = true;
  return t;
}();

// The byte-at-a-time version: the definition the fast one must agree with.
template <typename F>
inline void ForEachWordScalar(std::string_view text, F&& on_word) {
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

#if defined(__SSE2__)
namespace detail {

// Bit i set when p[i] is an ASCII letter, for the 64 bytes at p.
inline uint64_t LetterMask64(const char* p) {
  // (c | 0x20) folds upper case onto lower case; adding 128 - 'a' moves 'a'..'z' to the bottom
  // of the signed byte range, so one signed compare picks out exactly the 26 letters.
  const __m128i fold = _mm_set1_epi8(0x20);
  const __m128i shift = _mm_set1_epi8(static_cast<char>(128 - 'a'));
  const __m128i limit = _mm_set1_epi8(static_cast<char>(-128 + 26));
  uint64_t mask = 0;
  for (int k = 0; k < 4; ++k) {
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    const __m128i x = _mm_add_epi8(_mm_or_si128(c, fold), shift);
    mask |= static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmplt_epi8(x, limit)))) << (16 * k);
  }
  return mask;
}

}  // namespace detail
#endif

// Calls `on_word(std::string_view)` for each word of `text`, in order.
template <typename F>
inline void ForEachWord(std::string_view text, F&& on_word) {
#if defined(__SSE2__)
  const char* p = text.data();
  const size_t n = text.size();
  size_t start = 0;         // of the word in progress
  uint64_t in_word = 0;     // 1 when the previous block ended inside a word
  alignas(16) char tail[64];
  for (size_t base = 0; base < n; base += 64) {
    uint64_t letters;
    if (n - base >= 64) {
      letters = detail::LetterMask64(p + base);
    } else {  // the last, partial block: zero-padded, and zero is not a letter
      std::memset(tail, 0, sizeof tail);
      std::memcpy(tail, p + base, n - base);
      letters = detail::LetterMask64(tail);
    }
    const uint64_t before = letters << 1 | in_word;  // bit i: byte i - 1 is a letter
    uint64_t starts = letters & ~before;
    uint64_t ends = ~letters & before;  // bit i: byte i is the first one after a word
    in_word = letters >> 63;
    // Starts and ends alternate. A word carried in from the last block ends at the first end.
    if (before & 1) {
      if (ends == 0) continue;  // all letters: the word goes on
      on_word(std::string_view(p + start, base + static_cast<size_t>(__builtin_ctzll(ends)) - start));
      ends &= ends - 1;
    }
    while (starts != 0) {
      start = base + static_cast<size_t>(__builtin_ctzll(starts));
      starts &= starts - 1;
      if (ends == 0) break;  // the word runs into the next block
      on_word(std::string_view(p + start, base + static_cast<size_t>(__builtin_ctzll(ends)) - start));
      ends &= ends - 1;
    }
  }
  if (in_word) on_word(std::string_view(p + start, n - start));
#else
  ForEachWordScalar(text, on_word);
#endif
}

}  // namespace aviary_examples

#endif  // AVIARY_EXAMPLES_TOKENIZER_H_
