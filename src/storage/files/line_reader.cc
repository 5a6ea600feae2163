#include "storage/files/line_reader.h"

#include <cstring>

namespace aviary {
namespace {

// Index of the first '\n' in `s`, or npos.
size_t FindNewline(std::string_view s) {
  const void* p = std::memchr(s.data(), '\n', s.size());
  return p ? static_cast<size_t>(static_cast<const char*>(p) - s.data()) : std::string_view::npos;
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

bool LineReader::Next(std::string_view* line, uint64_t* offset) {
  if (!positioned_ && !SkipToFirstLine()) return false;
  if (window_.empty() && !Fill()) return false;
  if (pos_ >= end_) return false;
  *offset = pos_;
  bool carrying = false;
  while (true) {
    const size_t nl = FindNewline(window_);
    if (nl != std::string_view::npos) {
      std::string_view piece = window_.substr(0, nl);
      pos_ += nl + 1;
      window_.remove_prefix(nl + 1);
      if (carrying) piece = carry_.append(piece);
      *line = StripCarriageReturn(piece);
      return true;
    }
    // The line continues in the next chunk, which will overwrite the scratch buffer.
    if (!carrying) carry_.clear();
    carry_.append(window_);
    carrying = true;
    if (!Fill()) {  // a last line without '\n', unless the read failed
      *line = StripCarriageReturn(carry_);
      return status_.ok();
    }
  }
}

}  // namespace aviary
