// The per-core reference: the fastest single-threaded word count we know how to write in plain C++,
// so that Aviary's ratio against it does not flatter Aviary. Same word definition as the built-in
// wordcount (maximal runs of ASCII letters, case kept), written independently of Aviary's code:
//   - the input is memory-mapped (no copy, no carry across buffer ends);
//   - 64 bytes at a time become a bit mask of letters (SSE2), and words are the mask's runs, found
//     with count-trailing-zeros: no branch per byte;
//   - words of up to 16 bytes live inside the table's 32-byte slots, so a lookup compares two
//     integers in the one cache line it loads and never goes back to the text; longer words are
//     copied once into an arena when first seen (no allocation per word, ever);
//   - the hash is one 64x64->128-bit multiply of the word's two 8-byte halves;
//   - words are looked up in batches of 16 whose home slots are prefetched first, so the cache
//     misses of a large table overlap instead of following one another.
// Prints "<distinct words> <total words>" and, with -o FILE, the counts as "word<TAB>count" lines.
#include <emmintrin.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace {

constexpr uint32_t kInlineBytes = 16;

// A word as the table sees it: its first 16 bytes as two little-endian integers (zero past its
// end), its length, its hash and where it is in the text.
struct Word {
  uint64_t lo = 0, hi = 0;
  uint64_t hash = 0;
  const char* text = nullptr;
  uint32_t length = 0;
};

inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline uint64_t LowBytes(uint64_t v, uint32_t n) { return n >= 8 ? v : v & ((uint64_t{1} << (8 * n)) - 1); }

// `readable`: at least 16 bytes can be read at `text` (else the tail is copied first).
inline Word MakeWord(const char* text, uint32_t length, bool readable) {
  Word w;
  w.text = text;
  w.length = length;
  char padded[kInlineBytes] = {};
  const char* src = text;
  if (!readable) {
    std::memcpy(padded, text, length < kInlineBytes ? length : kInlineBytes);
    src = padded;
  }
  w.lo = LowBytes(Load64(src), length);
  w.hi = length > 8 ? LowBytes(Load64(src + 8), length - 8) : 0;
  const __uint128_t m = static_cast<__uint128_t>(w.lo ^ 0x9e3779b97f4a7c15ULL) *
                        (w.hi ^ 0xd6e8feb86659fd93ULL ^ (static_cast<uint64_t>(length) << 56));
  w.hash = static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
  return w;
}

// Open addressing with linear probing over a power-of-two array, grown at 70% full.
class WordTable {
 public:
  WordTable() : slots_(kInitialSlots) {}

  void Prefetch(const Word& w) const { __builtin_prefetch(&slots_[w.hash & (slots_.size() - 1)]); }

  void Add(const Word& w) {
    const size_t mask = slots_.size() - 1;
    for (size_t i = w.hash & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.length == 0) {
        Claim(s, w);
        if (++used_ * 10 > slots_.size() * 7) Grow();
        return;
      }
      if (s.length == w.length && s.hash == static_cast<uint32_t>(w.hash >> 32) && Matches(s, w)) {
        ++s.count;
        return;
      }
    }
  }

  size_t distinct() const { return used_; }

  template <typename Visit>
  void ForEach(Visit visit) const {
    for (const Slot& s : slots_) {
      if (s.length == 0) continue;
      if (s.length > kInlineBytes) {
        visit(std::string_view(s.long_word, s.length), s.count);
      } else {
        char bytes[kInlineBytes];
        std::memcpy(bytes, &s.lo, 8);
        std::memcpy(bytes + 8, &s.hi, 8);
        visit(std::string_view(bytes, s.length), s.count);
      }
    }
  }

 private:
  static constexpr size_t kInitialSlots = 1 << 12;

  struct alignas(32) Slot {
    union {
      uint64_t lo;
      const char* long_word;  // length > 16: the arena's copy
    };
    uint64_t hi;
    uint32_t length;  // 0: empty
    uint32_t hash;    // the hash's top half, to skip most mismatches without comparing bytes
    uint64_t count;
  };
  static_assert(sizeof(Slot) == 32);

  bool Matches(const Slot& s, const Word& w) const {
    if (w.length <= kInlineBytes) return s.lo == w.lo && s.hi == w.hi;
    return std::memcmp(s.long_word, w.text, w.length) == 0;
  }

  void Claim(Slot& s, const Word& w) {
    s.length = w.length;
    s.hash = static_cast<uint32_t>(w.hash >> 32);
    s.count = 1;
    s.hi = w.hi;
    if (w.length <= kInlineBytes) {
      s.lo = w.lo;
    } else {
      s.long_word = CopyToArena(w.text, w.length);
    }
  }

  const char* CopyToArena(const char* text, uint32_t length) {
    if (arena_.empty() || arena_used_ + length > kArenaBlock) {
      arena_.push_back(std::make_unique<char[]>(length > kArenaBlock ? length : kArenaBlock));
      arena_used_ = 0;
    }
    char* copy = arena_.back().get() + arena_used_;
    std::memcpy(copy, text, length);
    arena_used_ += length;
    return copy;
  }

  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.length == 0) continue;
      const Word w = s.length <= kInlineBytes ? MakeWord(reinterpret_cast<const char*>(&s.lo), s.length, false)
                                              : MakeWord(s.long_word, s.length, false);
      size_t i = w.hash & mask;
      while (slots_[i].length != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  static constexpr size_t kArenaBlock = 1 << 20;
  std::vector<Slot> slots_;
  size_t used_ = 0;
  std::vector<std::unique_ptr<char[]>> arena_;
  size_t arena_used_ = 0;
};

// Bit i set when p[i] is an ASCII letter, for the 64 bytes at p. A byte OR 0x20 is in 'a'..'z'
// exactly for letters; adding 0x80 - 'a' moves that range to the bottom of the signed bytes.
inline uint64_t LetterMask(const char* p) {
  const __m128i lower_case = _mm_set1_epi8(0x20);
  const __m128i shift = _mm_set1_epi8(static_cast<char>(0x80 - 'a'));
  const __m128i limit = _mm_set1_epi8(static_cast<char>(0x80 - 'a' + 'z' + 1 - 256));
  uint64_t mask = 0;
  for (int k = 0; k < 4; ++k) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    const __m128i moved = _mm_add_epi8(_mm_or_si128(bytes, lower_case), shift);
    const auto bits = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmplt_epi8(moved, limit)));
    mask |= static_cast<uint64_t>(bits) << (16 * k);
  }
  return mask;
}

class Counter {
 public:
  explicit Counter(WordTable* table) : table_(table) {}

  // Counts the words of one file; a word never spans two files.
  void CountFile(const char* data, size_t size) {
    const char* const end = data + size;
    const char* word_start = nullptr;  // inside a word: where it began
    uint64_t previous_bit = 0;         // was the byte before the block a letter
    for (size_t at = 0; at < size; at += 64) {
      const char* block = data + at;
      uint64_t letters;
      if (size - at >= 64) {
        letters = LetterMask(block);
      } else {  // the tail, through a zero-padded copy: zero is not a letter
        char tail[64] = {};
        std::memcpy(tail, block, size - at);
        letters = LetterMask(tail) & ((uint64_t{1} << (size - at)) - 1);
      }
      // Bits where the letter/non-letter state changes: starts and ends of words, alternately.
      uint64_t edges = letters ^ ((letters << 1) | previous_bit);
      previous_bit = letters >> 63;
      while (edges != 0) {
        const char* edge = block + __builtin_ctzll(edges);
        edges &= edges - 1;
        if (word_start == nullptr) {
          word_start = edge;
        } else {
          Push(word_start, static_cast<uint32_t>(edge - word_start), end);
          word_start = nullptr;
        }
      }
    }
    if (word_start != nullptr) Push(word_start, static_cast<uint32_t>(end - word_start), end);
    Drain();
  }

  uint64_t total() const { return total_; }

 private:
  static constexpr int kBatch = 16;

  void Push(const char* text, uint32_t length, const char* end) {
    batch_[pending_] = MakeWord(text, length, end - text >= static_cast<ptrdiff_t>(kInlineBytes));
    table_->Prefetch(batch_[pending_]);
    if (++pending_ == kBatch) Drain();
  }

  void Drain() {
    for (int i = 0; i < pending_; ++i) table_->Add(batch_[i]);
    total_ += static_cast<uint64_t>(pending_);
    pending_ = 0;
  }

  WordTable* const table_;
  Word batch_[kBatch];
  int pending_ = 0;
  uint64_t total_ = 0;
};

// Maps a whole file read-only; long words are copied out, so the mapping may go after counting.
bool CountFile(const char* path, Counter* counter) {
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
  const auto size = static_cast<size_t>(st.st_size);
  if (size > 0) {
    void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (map == MAP_FAILED) {
      std::perror(path);
      close(fd);
      return false;
    }
    madvise(map, size, MADV_SEQUENTIAL);
    counter->CountFile(static_cast<const char*>(map), size);
    munmap(map, size);
  }
  close(fd);
  return true;
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
  Counter counter(&table);
  const char* out_path = nullptr;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "-o") == 0 && a + 1 < argc) {
      out_path = argv[++a];
      continue;
    }
    if (!CountFile(argv[a], &counter)) return 1;
  }
  std::printf("%zu %llu\n", table.distinct(), static_cast<unsigned long long>(counter.total()));
  if (out_path && !WriteCounts(out_path, table)) return 1;
  return 0;
}
