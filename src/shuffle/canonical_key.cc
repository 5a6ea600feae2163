#include "shuffle/canonical_key.h"

#include <cmath>
#include <cstring>

#include "common/decimal128.h"

namespace aviary::shuffle {
namespace {

constexpr uint64_t kCanonicalNaN = 0x7FF8000000000000ULL;
constexpr double kTwo63 = 9223372036854775808.0;

// A scalar's canonical form as a BSON element payload (strings with their length prefix).
struct Canonical {
  Type type;
  size_t size = 0;
  char bytes[16];

  void SetInt64(int64_t v) {
    type = Type::kInt64;
    size = 8;
    std::memcpy(bytes, &v, 8);
  }
  void SetDouble(double d) {
    type = Type::kDouble;
    size = 8;
    std::memcpy(bytes, &d, 8);
  }
};

// A double's representative: int64 when integral and in range, one NaN.
void FromDouble(double d, Canonical* out) {
  if (std::isnan(d)) {
    out->type = Type::kDouble;
    out->size = 8;
    std::memcpy(out->bytes, &kCanonicalNaN, 8);
  } else if (d >= -kTwo63 && d < kTwo63 && std::trunc(d) == d) {
    out->SetInt64(static_cast<int64_t>(d));  // -0.0 becomes 0
  } else {
    out->SetDouble(d);
  }
}

// `c` * 10^`e` (e >= 0) as an int64 of sign `negative`, when it fits.
bool ScaledFitsInt64(U128 c, int e, bool negative, int64_t* out) {
  const U128 limit = negative ? (U128{1} << 63) : (U128{1} << 63) - 1;
  for (int i = 0; i < e; ++i) {
    if (c > limit / 10) return false;
    c *= 10;
  }
  if (c > limit) return false;
  *out = negative ? static_cast<int64_t>(-static_cast<int64_t>(c - 1) - 1) : static_cast<int64_t>(c);
  return true;
}

// `c` * 10^`e` as a double, when one holds it exactly (c * 10^e = c * 5^e * 2^e).
bool ScaledIsExactDouble(U128 c, int e, double* out) {
  constexpr U128 kMantissaLimit = U128{1} << 53;
  if (e >= 0) {
    for (int i = 0; i < e; ++i) {
      if (c >= kMantissaLimit) return false;
      c *= 5;
    }
  } else {
    if (e < -1074) return false;
    for (int i = 0; i < -e; ++i) {
      if (c % 5 != 0) return false;
      c /= 5;
    }
  }
  if (c >= kMantissaLimit) return false;
  *out = std::ldexp(static_cast<double>(c), e);
  return std::isfinite(*out);
}

// A decimal128 (BID encoding) by value: as int64 or double when one holds it exactly, else the
// decimal with its trailing zeros removed.
void FromDecimal(const char* p, Canonical* out) {
  const Decimal128Parts parts = DecodeDecimal128(p);
  const bool negative = parts.negative;
  if (parts.kind == Decimal128Parts::Kind::kNaN) return FromDouble(std::nan(""), out);
  if (parts.kind == Decimal128Parts::Kind::kInfinity) return out->SetDouble(negative ? -HUGE_VAL : HUGE_VAL);
  U128 c = parts.coefficient;
  if (c == 0) return out->SetInt64(0);
  int e = parts.exponent;
  while (c % 10 == 0) {
    c /= 10;
    ++e;
  }
  int64_t i;
  if (e >= 0 && ScaledFitsInt64(c, e, negative, &i)) return out->SetInt64(i);
  double d;
  if (ScaledIsExactDouble(c, e, &d)) return out->SetDouble(negative ? -d : d);
  const uint64_t new_hi = (negative ? uint64_t{1} << 63 : 0) | (static_cast<uint64_t>(e + 6176) << 49) |
                          static_cast<uint64_t>(c >> 64);
  const auto new_lo = static_cast<uint64_t>(c);
  out->type = Type::kDecimal128;
  out->size = 16;
  std::memcpy(out->bytes, &new_lo, 8);
  std::memcpy(out->bytes + 8, &new_hi, 8);
}

// The canonical form of a scalar element (`payload` as in BSON); false when it is its own.
bool CanonicalScalar(Type type, const char* payload, size_t size, Canonical* out) {
  switch (type) {
    case Type::kInt32: {
      int32_t v;
      std::memcpy(&v, payload, 4);
      out->SetInt64(v);
      return true;
    }
    case Type::kDouble: {
      double d;
      std::memcpy(&d, payload, 8);
      FromDouble(d, out);
      break;
    }
    case Type::kDecimal128: FromDecimal(payload, out); break;
    case Type::kUndefined:
      out->type = Type::kNull;
      out->size = 0;
      return true;
    default: return false;
  }
  return out->type != type || out->size != size || std::memcmp(out->bytes, payload, size) != 0;
}

// The element's payload as BSON holds it (a kString view holds only the characters).
struct RawElement {
  Type type;
  std::string_view name;
  const char* payload;
  size_t size;
};

RawElement Raw(const DocumentView::Field& f) {
  if (f.value.type() == Type::kString) return {Type::kString, f.name, f.value.data() - 4, f.value.size() + 5};
  return {f.value.type(), f.name, f.value.data(), f.value.size()};
}

bool IsCanonicalDocument(const char* data, size_t size);

bool IsCanonicalElement(const RawElement& e) {
  if (e.type == Type::kSymbol) return false;
  if (e.type == Type::kDocument || e.type == Type::kArray) return IsCanonicalDocument(e.payload, e.size);
  Canonical c;
  return !CanonicalScalar(e.type, e.payload, e.size, &c);
}

bool IsCanonicalDocument(const char* data, size_t size) {
  for (const DocumentView::Field& f : DocumentView(data, size)) {
    if (!IsCanonicalElement(Raw(f))) return false;
  }
  return true;
}

void AppendCanonicalDocument(const char* data, size_t size, std::string* out);

void AppendElement(Type type, std::string_view name, const char* payload, size_t size, std::string* out) {
  out->push_back(static_cast<char>(type));
  out->append(name);
  out->push_back('\0');
  out->append(payload, size);
}

void AppendCanonicalElement(const RawElement& e, std::string* out) {
  if (e.type == Type::kDocument || e.type == Type::kArray) {
    out->push_back(static_cast<char>(e.type));
    out->append(e.name);
    out->push_back('\0');
    return AppendCanonicalDocument(e.payload, e.size, out);
  }
  if (e.type == Type::kSymbol) return AppendElement(Type::kString, e.name, e.payload, e.size, out);
  Canonical c;
  if (CanonicalScalar(e.type, e.payload, e.size, &c)) return AppendElement(c.type, e.name, c.bytes, c.size, out);
  AppendElement(e.type, e.name, e.payload, e.size, out);
}

void AppendCanonicalDocument(const char* data, size_t size, std::string* out) {
  const size_t start = out->size();
  out->append(4, '\0');
  for (const DocumentView::Field& f : DocumentView(data, size)) AppendCanonicalElement(Raw(f), out);
  out->push_back('\0');
  const auto n = static_cast<int32_t>(out->size() - start);
  std::memcpy(out->data() + start, &n, 4);
}

}  // namespace

bool IsCanonicalKey(ValueView key) {
  switch (key.type()) {
    case Type::kString: return true;
    case Type::kSymbol: return false;
    case Type::kDocument:
    case Type::kArray: return IsCanonicalDocument(key.data(), key.size());
    default: {
      Canonical c;
      return !CanonicalScalar(key.type(), key.data(), key.size(), &c);
    }
  }
}

ValueView CanonicalKey(ValueView key, std::string* scratch) {
  switch (key.type()) {
    case Type::kString: return key;
    case Type::kSymbol:  // a BSON string payload: length, characters, NUL
      return key.size() >= 5 ? ValueView(Type::kString, key.data() + 4, key.size() - 5) : key;
    case Type::kDocument:
    case Type::kArray:
      if (IsCanonicalDocument(key.data(), key.size())) return key;
      scratch->clear();
      AppendCanonicalDocument(key.data(), key.size(), scratch);
      return ValueView(key.type(), scratch->data(), scratch->size());
    default: {
      Canonical c;
      if (!CanonicalScalar(key.type(), key.data(), key.size(), &c)) return key;
      scratch->assign(c.bytes, c.size);
      return ValueView(c.type, scratch->data(), scratch->size());
    }
  }
}

}  // namespace aviary::shuffle
