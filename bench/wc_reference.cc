// The per-core reference: the fastest single-threaded word count we know how to write in plain C++,
// so that Aviary's ratio against it does not flatter Aviary. The input is memory-mapped (no copy,
// no carry across buffer ends), letters are classified by a 256-entry table, and words are counted
// in an open-addressing table whose keys are views into the mapping: no allocation per word, ever.
// Same word definition as the built-in wordcount (maximal runs of ASCII letters, case kept).
// Prints "<distinct words> <total words>" and, with -o FILE, the counts as "word<TAB>count" lines.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

namespace {

constexpr std::array<bool, 256> MakeLetterTable() {
  std::array<bool, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[c] = table[c - 'a' + 'A'] = true;
  return table;
}
constexpr std::array<bool, 256> kIsLetter = MakeLetterTable();

// Linear probing over a power-of-two array, grown at half full. A slot stores the full hash so
// that most mismatches are rejected without touching the word's bytes.
class WordTable {
 public:
  WordTable() : slots_(1 << 16) {}

  void Add(const char* word, uint32_t length) {
    const uint64_t hash = XXH3_64bits(word, length);
    size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.count == 0) {
        slot = Slot{hash, word, length, 1};
        if (++used_ * 2 > slots_.size()) Grow();
        return;
      }
      if (slot.hash == hash && slot.length == length && std::memcmp(slot.word, word, length) == 0) {
        ++slot.count;
        return;
      }
    }
  }

  size_t distinct() const { return used_; }

  template <typename Visit>
  void ForEach(Visit visit) const {
    for (const Slot& slot : slots_)
      if (slot.count != 0) visit(std::string_view(slot.word, slot.length), slot.count);
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    const char* word = nullptr;
    uint32_t length = 0;
    uint64_t count = 0;
  };

  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    const size_t mask = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.count == 0) continue;
      size_t i = slot.hash & mask;
      while (slots_[i].count != 0) i = (i + 1) & mask;
      slots_[i] = slot;
    }
  }

  std::vector<Slot> slots_;
  size_t used_ = 0;
};

// Maps a whole file read-only; the mapping lives until exit because the table's keys point into it.
bool MapFile(const char* path, const char** data, size_t* size) {
  const int fd = open(path, O_RDONLY);
  if (fd < 0) {
    std::perror(path);
    return false;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    std::perror(path);
    close(fd);
    return false;
  }
  *size = static_cast<size_t>(st.st_size);
  *data = nullptr;
  if (*size > 0) {
    void* map = mmap(nullptr, *size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (map == MAP_FAILED) {
      std::perror(path);
      close(fd);
      return false;
    }
    madvise(map, *size, MADV_SEQUENTIAL);
    *data = static_cast<const char*>(map);
  }
  close(fd);
  return true;
}

uint64_t CountWords(const char* data, size_t size, WordTable& table) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  const auto* end = p + size;
  uint64_t total = 0;
  while (p < end) {
    while (p < end && !kIsLetter[*p]) ++p;
    const auto* start = p;
    while (p < end && kIsLetter[*p]) ++p;
    if (p == start) break;
    table.Add(reinterpret_cast<const char*>(start), static_cast<uint32_t>(p - start));
    ++total;
  }
  return total;
}

bool WriteCounts(const char* path, const WordTable& table) {
  FILE* out = std::fopen(path, "w");
  if (!out) {
    std::perror(path);
    return false;
  }
  table.ForEach([out](std::string_view word, uint64_t count) {
    std::fprintf(out, "%.*s\t%llu\n", static_cast<int>(word.size()), word.data(),
                 static_cast<unsigned long long>(count));
  });
  if (std::fclose(out) != 0) {
    std::perror(path);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  WordTable table;
  uint64_t total = 0;
  const char* out_path = nullptr;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "-o") == 0 && a + 1 < argc) {
      out_path = argv[++a];
      continue;
    }
    const char* data = nullptr;
    size_t size = 0;
    if (!MapFile(argv[a], &data, &size)) return 1;
    total += CountWords(data, size, table);
  }
  std::printf("%zu %llu\n", table.distinct(), static_cast<unsigned long long>(total));
  if (out_path && !WriteCounts(out_path, table)) return 1;
  return 0;
}
