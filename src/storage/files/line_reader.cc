#include "storage/files/line_reader.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace aviary {
namespace {

// Index of the first '\n' in `s`, or npos.
size_t FindNewline(std::string_view s) {
  const void* p = std::memchr(s.data(), '\n', s.size());
  return p ? static_cast<size_t>(static_cast<const char*>(p) - s.data()) : std::string_view::npos;
}

// The number of '\n's in `s`: 16 bytes at a time, matches summed bytewise for up to 255 steps
// (a byte counter cannot overflow), then added up with one SAD.
uint64_t CountNewlines(std::string_view s) {
  uint64_t count = 0;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i newline = _mm_set1_epi8('\n');
  const __m128i zero = _mm_setzero_si128();
  while (s.size() - i >= 16) {
    __m128i counts = zero;
    for (int step = 0; step < 255 && s.size() - i >= 16; ++step, i += 16) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      counts = _mm_sub_epi8(counts, _mm_cmpeq_epi8(bytes, newline));  // a match is -1
    }
    const __m128i sums = _mm_sad_epu8(counts, zero);  // two 16-bit sums, in bits 0-15 and 64-79
    count += static_cast<uint64_t>(_mm_cvtsi128_si32(sums) & 0xffff) + static_cast<uint64_t>(_mm_extract_epi16(sums, 4));
  }
#endif
  for (; i < s.size(); ++i) count += s[i] == '\n';
  return count;
}

std::string_view StripCarriageReturn(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

LineReader::LineReader(SequentialFile* file, uint64_t start, uint64_t end, char* scratch, size_t scratch_size)
    : file_(file), start_(start), end_(end), scratch_(scratch), scratch_size_(scratch_size) {}

bool LineReader::Fill() {
  pos_ += window_.size();
  window_ = {};
  if (eof_) return false;
  status_ = file_->Read(scratch_size_, scratch_, &window_);
  if (!status_.ok()) window_ = {};
  eof_ = window_.empty();
  return !eof_;
}

bool LineReader::SkipToFirstLine() {
  positioned_ = true;
  if (start_ == 0) return true;
  // The line at start_ is ours only if byte start_-1 ends the previous line: begin there and
  // drop everything up to and including the first '\n'.
  status_ = file_->Skip(start_ - 1);
  if (!status_.ok()) {
    eof_ = true;
    return false;
  }
  pos_ = start_ - 1;
  while (Fill()) {
    const size_t nl = FindNewline(window_);
    if (nl != std::string_view::npos) {
      pos_ += nl + 1;
      window_.remove_prefix(nl + 1);
      return true;
    }
  }
  return false;
}

bool LineReader::AtLine() {
  if (!positioned_ && !SkipToFirstLine()) return false;
  if (window_.empty() && !Fill()) return false;
  return pos_ < end_;
}

bool LineReader::NextBlock(std::string_view* text, uint64_t* offset, uint64_t* lines) {
  if (!AtLine()) return false;
  // Lines starting in the first `owned` bytes of the window are the range's. The block ends at
  // the '\n' that ends the line holding byte owned - 1, or, when the window ends before that
  // line does, at the window's last '\n'.
  const size_t owned = static_cast<size_t>(std::min<uint64_t>(window_.size(), end_ - pos_));
  const void* found = std::memchr(window_.data() + owned - 1, '\n', window_.size() - (owned - 1));
  if (found == nullptr) found = ::memrchr(window_.data(), '\n', owned - 1);
  if (found == nullptr) {  // the line at pos_ goes on into the next chunk
    *lines = 1;
    return ReadLine(text, offset);
  }
  const size_t block_end = static_cast<size_t>(static_cast<const char*>(found) - window_.data());
  *text = window_.substr(0, block_end);
  *offset = pos_;
  *lines = 1 + CountNewlines(*text);
  pos_ += block_end + 1;
  window_.remove_prefix(block_end + 1);
  return true;
}

bool LineReader::Next(std::string_view* line, uint64_t* offset) {
  if (!ReadLine(line, offset)) return false;
  *line = StripCarriageReturn(*line);
  return true;
}

bool LineReader::ReadLine(std::string_view* line, uint64_t* offset) {
  if (!AtLine()) return false;
  *offset = pos_;
  bool carrying = false;
  while (true) {
    const size_t nl = FindNewline(window_);
    if (nl != std::string_view::npos) {
      std::string_view piece = window_.substr(0, nl);
      pos_ += nl + 1;
      window_.remove_prefix(nl + 1);
      if (carrying) piece = carry_.append(piece);
      *line = piece;
      return true;
    }
    // The line continues in the next chunk, which will overwrite the scratch buffer.
    if (!carrying) carry_.clear();
    carry_.append(window_);
    carrying = true;
    if (!Fill()) {  // a last line without '\n', unless the read failed
      *line = carry_;
      return status_.ok();
    }
  }
}

}  // namespace aviary
