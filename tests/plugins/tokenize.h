// Word splitting shared by the test plugins: a word is a maximal run of ASCII letters, the same
// definition as the built-in wordcount, so their outputs can be compared with it.
#ifndef AVIARY_TESTS_PLUGINS_TOKENIZE_H_
#define AVIARY_TESTS_PLUGINS_TOKENIZE_H_

#include <string_view>

template <typename Fn>
void ForEachWord(std::string_view text, Fn&& fn) {
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !((text[i] | 0x20) >= 'a' && (text[i] | 0x20) <= 'z')) ++i;
    size_t start = i;
    while (i < text.size() && ((text[i] | 0x20) >= 'a' && (text[i] | 0x20) <= 'z')) ++i;
    if (i > start) fn(text.substr(start, i - start));
  }
}

#endif  // AVIARY_TESTS_PLUGINS_TOKENIZE_H_
