// The kSum combiner's accumulator: exact int64 while every value is an integer, double from the
// first double on (or when int64 would overflow, as MongoDB's $sum does).
#ifndef AVIARY_SHUFFLE_SUM_H_
#define AVIARY_SHUFFLE_SUM_H_

#include <cstdint>
#include <cstring>

#include "aviary/value.h"

namespace aviary::shuffle {

// Trivial (no constructor) so it can live in the collector's arena entries; call Clear() first.
class Sum {
 public:
  static constexpr size_t kEncodedSize = 9;  // type byte + 8 bytes

  void Clear() {
    int_ = 0;
    is_double_ = false;
  }

  // The raw state, for the key table's inline slots (key_table.h), which keep the 8 bytes and
  // the flag apart: Sum::FromBits(s.bits(), s.is_double()) equals s.
  static Sum FromBits(int64_t bits, bool is_double) {
    Sum s;
    s.int_ = bits;
    s.is_double_ = is_double;
    return s;
  }
  int64_t bits() const { return int_; }
  bool is_double() const { return is_double_; }

  // Adds `v`; false (and no change) when `v` is not a number.
  [[gnu::always_inline]] bool Add(ValueView v) {
    int64_t x;
    int64_t r;
    if (v.type() == Type::kInt64 && v.size() == 8 && !is_double_) {  // the common case, kept inline
      std::memcpy(&x, v.data(), 8);
      if (!__builtin_add_overflow(int_, x, &r)) {
        int_ = r;
        return true;
      }
    }
    return AddSlow(v);
  }

  // Writes the sum as an encoded value (int64 or double) to `dst`; returns kEncodedSize.
  size_t EncodeTo(char* dst) const {
    dst[0] = static_cast<char>(is_double_ ? Type::kDouble : Type::kInt64);
    if (is_double_) {
      std::memcpy(dst + 1, &double_, 8);
    } else {
      std::memcpy(dst + 1, &int_, 8);
    }
    return kEncodedSize;
  }

 private:
  [[gnu::noinline]] bool AddSlow(ValueView v) {
    if (v.type() == Type::kDouble) {
      AddDouble(v.as_double());
      return true;
    }
    if (!v.is_int()) return false;
    const int64_t x = v.as_int();
    int64_t r;
    if (is_double_) {
      double_ += static_cast<double>(x);
    } else if (__builtin_add_overflow(int_, x, &r)) {
      SwitchToDouble();
      double_ += static_cast<double>(x);
    } else {
      int_ = r;
    }
    return true;
  }
  void SwitchToDouble() {
    const double d = static_cast<double>(int_);
    double_ = d;
    is_double_ = true;
  }
  void AddDouble(double d) {
    if (!is_double_) SwitchToDouble();
    double_ += d;
  }

  union {
    int64_t int_;
    double double_;
  };
  bool is_double_;
};

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_SUM_H_
