// The per-core reference: a plain single-threaded C++ word count, the way a competent engineer
// writes it without a framework: large reads, and a standard hash map looked up by string_view
// (C++20 heterogeneous lookup), so a word only becomes a std::string the first time it is seen.
// Same word definition as the built-in wordcount (maximal runs of ASCII letters, case kept).
// Prints "<distinct words> <total words>" and, with -o FILE, the counts.
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

static bool IsLetter(unsigned char c) { return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }

struct WordHash {
  using is_transparent = void;
  size_t operator()(std::string_view word) const { return std::hash<std::string_view>{}(word); }
};
using Counts = std::unordered_map<std::string, long, WordHash, std::equal_to<>>;

static void Count(Counts& counts, std::string_view word) {
  auto it = counts.find(word);
  if (it == counts.end()) it = counts.emplace(std::string(word), 0).first;
  ++it->second;
}

int main(int argc, char** argv) {
  Counts counts;
  counts.reserve(1 << 16);
  std::vector<char> buf(1 << 20);
  std::string carry;
  long total = 0;
  const char* out_path = nullptr;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "-o") == 0 && a + 1 < argc) {
      out_path = argv[++a];
      continue;
    }
    FILE* f = std::fopen(argv[a], "rb");
    if (!f) {
      std::perror(argv[a]);
      return 1;
    }
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
      size_t i = 0;
      // A word cut by the buffer boundary continues in `carry`.
      while (i < n && !carry.empty() && IsLetter(static_cast<unsigned char>(buf[i]))) carry.push_back(buf[i++]);
      if (!carry.empty() && i < n) {
        Count(counts, carry);
        ++total;
        carry.clear();
      }
      while (i < n) {
        while (i < n && !IsLetter(static_cast<unsigned char>(buf[i]))) ++i;
        size_t start = i;
        while (i < n && IsLetter(static_cast<unsigned char>(buf[i]))) ++i;
        if (i == start) break;
        if (i == n) {
          carry.assign(buf.data() + start, i - start);
          break;
        }
        Count(counts, std::string_view(buf.data() + start, i - start));
        ++total;
      }
    }
    std::fclose(f);
    if (!carry.empty()) {
      Count(counts, carry);
      ++total;
      carry.clear();
    }
  }
  std::printf("%zu %ld\n", counts.size(), total);
  if (out_path) {
    FILE* out = std::fopen(out_path, "w");
    if (!out) {
      std::perror(out_path);
      return 1;
    }
    for (const auto& [w, c] : counts) std::fprintf(out, "%s\t%ld\n", w.c_str(), c);
    if (std::fclose(out) != 0) {
      std::perror(out_path);
      return 1;
    }
  }
  return 0;
}
