// MongoDB's hashed-index hash and BSON order, written from the behaviour of the server's
// src/mongo/db/hasher.cpp and bsonelement's canonical types; checked against the server's own
// test vectors in shard_key_test.cc.
#include "storage/mongo/shard_key.h"

#include <openssl/evp.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string_view>

#include "common/decimal128.h"
namespace aviary::mongo {
namespace {

// Feeds bytes to MD5 through a small stack buffer so that most keys cost one EVP update.
// The EVP context is per thread and reused: hashing allocates nothing after the first call.
class Md5Feed {
 public:
  Md5Feed() : ctx_(ThreadContext()) { EVP_DigestInit_ex(ctx_, Md5(), nullptr); }

  void Add(const void* data, size_t n) {
    if (n == 0) return;  // null, MinKey...: nothing to add, and `data` may be null
    if (n > sizeof buf_ - used_) {
      Flush();
      if (n > sizeof buf_) {
        EVP_DigestUpdate(ctx_, data, n);
        return;
      }
    }
    std::memcpy(buf_ + used_, data, n);
    used_ += n;
  }
  // Integers enter the hash little-endian, as MongoDB writes them on every platform.
  void AddLittle32(int32_t v) {
    unsigned char b[4];
    for (int i = 0; i < 4; ++i) b[i] = static_cast<unsigned char>(static_cast<uint32_t>(v) >> (8 * i));
    Add(b, 4);
  }
  void AddLittle64(int64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(static_cast<uint64_t>(v) >> (8 * i));
    Add(b, 8);
  }
  // The first 8 bytes of the digest read as a little-endian int64.
  int64_t Finish() {
    Flush();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, digest, &len);
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | digest[i];
    return static_cast<int64_t>(v);
  }

 private:
  struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  static EVP_MD_CTX* ThreadContext() {
    thread_local std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
    return ctx.get();
  }
  // Fetched once: an implicit fetch on every init would cost a lock and a lookup.
  static const EVP_MD* Md5() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "MD5", nullptr);
    return md;
  }
  void Flush() {
    if (used_ > 0) EVP_DigestUpdate(ctx_, buf_, used_);
    used_ = 0;
  }

  EVP_MD_CTX* ctx_;  // not owned: the thread's context
  unsigned char buf_[192];
  size_t used_ = 0;
};

int32_t LoadInt32(const char* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
int64_t LoadInt64(const char* p) {
  int64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
double LoadDouble(const char* p) {
  double v;
  std::memcpy(&v, p, 8);
  return v;
}

constexpr double kTwoPow63 = 9223372036854775808.0;

// MongoDB's safeNumberLongForHash: truncation, NaN as 0, clamping, and 2^63 itself mapped to
// INT64_MIN (a historical overflow the server preserves so old hashes stay valid).
int64_t NumberForHash(uint8_t type, const char* p) {
  if (type == 0x10) return LoadInt32(p);
  if (type == 0x12) return LoadInt64(p);
  if (type != 0x01) return 0;
  const double d = LoadDouble(p);
  if (std::isnan(d)) return 0;
  if (d == kTwoPow63) return INT64_MIN;
  if (d > kTwoPow63) return INT64_MAX;
  if (d < -kTwoPow63) return INT64_MIN;
  return static_cast<int64_t>(d);
}

bool IsNumberType(uint8_t type) { return type == 0x01 || type == 0x10 || type == 0x12 || type == kBsonDecimal128; }

void HashElement(Md5Feed* h, uint8_t type, const std::string_view* name, const char* p, size_t size);

// The elements of an embedded document, each with its name, then the terminating EOO element
// (canonical type 0 and an empty name of zero bytes).
void HashDocumentElements(Md5Feed* h, const char* doc, size_t size) {
  BsonWalker walker(doc, size);
  BsonElement e;
  while (walker.Next(&e)) HashElement(h, e.type, &e.name, e.payload, e.size);
  h->AddLittle32(0);
}

// `name` is null for the top-level value (hash64 leaves the field name out).
void HashElement(Md5Feed* h, uint8_t type, const std::string_view* name, const char* p, size_t size) {
  h->AddLittle32(CanonicalTypeRank(static_cast<Type>(type)));
  if (name != nullptr) {
    h->Add(name->data(), name->size());
    h->Add("", 1);  // the name's NUL
  }
  if (IsNumberType(type)) {
    h->AddLittle64(type == kBsonDecimal128 ? DecimalToInt64ForHash(DecodeDecimal128(p)) : NumberForHash(type, p));
  } else if (type == 0x03 || type == 0x04) {
    HashDocumentElements(h, p, size);
  } else if (type == kBsonCodeWScope && size >= 14) {
    const int32_t code_len = LoadInt32(p + 4);  // includes the NUL
    h->Add(p + 8, static_cast<size_t>(code_len));
    HashDocumentElements(h, p + 8 + code_len, size - 8 - static_cast<size_t>(code_len));
  } else {
    h->Add(p, size);
  }
}

int Sign(int64_t v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

template <typename T>
int Cmp(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int CompareBytes(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  const int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  return c != 0 ? Sign(c) : Cmp(a.size(), b.size());
}

// int64 against double without losing precision (a double cast would merge 2^53+1 and 2^53).
int CompareIntDouble(int64_t l, double d) {
  if (std::isnan(d)) return 1;
  if (d >= kTwoPow63) return -1;
  if (d < -kTwoPow63) return 1;
  const int64_t whole = static_cast<int64_t>(d);  // truncates toward zero, in range
  if (l != whole) return Cmp(l, whole);
  const double frac = d - static_cast<double>(whole);
  return frac > 0 ? -1 : (frac < 0 ? 1 : 0);
}

int CompareDoubles(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return Cmp(!std::isnan(a), !std::isnan(b));  // NaN first, NaN == NaN
  return Cmp(a, b);
}

// `d` against any number, by exact value (common/decimal128.h).
int CompareDecimalTo(const Decimal128Parts& d, ValueView other) {
  switch (static_cast<uint8_t>(other.type())) {
    case kBsonDecimal128: return CompareDecimals(d, DecodeDecimal128(other.data()));
    case 0x01: return CompareDecimalToDouble(d, LoadDouble(other.data()));
    default: return CompareDecimalToInt64(d, other.as_int());
  }
}

int CompareNumbers(ValueView a, ValueView b) {
  const uint8_t ta = static_cast<uint8_t>(a.type()), tb = static_cast<uint8_t>(b.type());
  if (ta == kBsonDecimal128) return CompareDecimalTo(DecodeDecimal128(a.data()), b);
  if (tb == kBsonDecimal128) return -CompareDecimalTo(DecodeDecimal128(b.data()), a);
  const bool da = ta == 0x01, db = tb == 0x01;
  const double dva = da ? LoadDouble(a.data()) : NAN, dvb = db ? LoadDouble(b.data()) : NAN;
  if (da && db) return CompareDoubles(dva, dvb);
  if (da) return -CompareIntDouble(b.as_int(), dva);
  if (db) return CompareIntDouble(a.as_int(), dvb);
  return Cmp(a.as_int(), b.as_int());
}

// String-like payloads: kString views hold characters; symbol and code views hold the raw
// length-prefixed payload.
std::string_view StringChars(ValueView v) {
  if (v.type() == Type::kString) return std::string_view(v.data(), v.size());
  return v.size() >= 5 ? std::string_view(v.data() + 4, v.size() - 5) : std::string_view();
}

int CompareDocuments(ValueView a, ValueView b) {
  BsonWalker wa(a.data(), a.size()), wb(b.data(), b.size());
  BsonElement ea, eb;
  while (true) {
    const bool ha = wa.Next(&ea), hb = wb.Next(&eb);
    if (!ha || !hb) return Cmp(ha, hb);
    const int types = CanonicalTypeRank(static_cast<Type>(ea.type)) - CanonicalTypeRank(static_cast<Type>(eb.type));
    if (types != 0) return Sign(types);
    if (int c = CompareBytes(ea.name, eb.name)) return c;
    if (int c = CompareKeyValues(ea.view(), eb.view())) return c;
  }
}

// BinData: length first, then subtype, then the bytes (MongoDB's order, not memcmp's).
int CompareBinary(ValueView a, ValueView b) {
  if (a.size() != b.size()) return Cmp(a.size(), b.size());
  return Sign(std::memcmp(a.data() + 4, b.data() + 4, a.size() - 4));
}

int CompareRegex(ValueView a, ValueView b) {
  const std::string_view pa(a.data()), pb(b.data());
  if (int c = CompareBytes(pa, pb)) return c;
  return CompareBytes(std::string_view(a.data() + pa.size() + 1), std::string_view(b.data() + pb.size() + 1));
}

// Same canonical rank, so same family of types.
int CompareSameRank(ValueView a, ValueView b) {
  switch (static_cast<uint8_t>(a.type())) {
    case 0x01: case 0x10: case 0x12: case kBsonDecimal128: return CompareNumbers(a, b);
    case 0x02: case kBsonSymbol: case kBsonCode: return CompareBytes(StringChars(a), StringChars(b));
    case 0x03: case 0x04: return CompareDocuments(a, b);
    case 0x05: return CompareBinary(a, b);
    case 0x07: return CompareBytes(std::string_view(a.data(), a.size()), std::string_view(b.data(), b.size()));
    case 0x08: return Cmp(a.as_bool(), b.as_bool());
    case 0x09: return Cmp(LoadInt64(a.data()), LoadInt64(b.data()));
    case 0x11: return Cmp(static_cast<uint64_t>(LoadInt64(a.data())), static_cast<uint64_t>(LoadInt64(b.data())));
    case kBsonRegex: return CompareRegex(a, b);
    case 0x0A: case kBsonUndefined: case kBsonMinKey: case kBsonMaxKey: return 0;
    default: return CompareBytes(std::string_view(a.data(), a.size()), std::string_view(b.data(), b.size()));
  }
}

}  // namespace

int CanonicalTypeRank(Type type) {
  switch (static_cast<uint8_t>(type)) {
    case kBsonMinKey: return -1;
    case kBsonUndefined: return 0;
    case 0x0A: return 5;
    case 0x01: case 0x10: case 0x12: case kBsonDecimal128: return 10;
    case 0x02: case kBsonSymbol: return 15;
    case 0x03: return 20;
    case 0x04: return 25;
    case 0x05: return 30;
    case 0x07: return 35;
    case 0x08: return 40;
    case 0x09: return 45;
    case 0x11: return 47;
    case kBsonRegex: return 50;
    case kBsonDbPointer: return 55;
    case kBsonCode: return 60;
    case kBsonCodeWScope: return 65;
    case kBsonMaxKey: return 127;
    default: return 0;
  }
}

int64_t HashedShardKeyValue(ValueView value) {
  Md5Feed h;
  h.AddLittle32(0);  // the seed
  if (value.type() == Type::kString) {
    // Rebuild BSON's string payload: int32 length (with the NUL), characters, NUL.
    h.AddLittle32(CanonicalTypeRank(Type::kString));
    h.AddLittle32(static_cast<int32_t>(value.size() + 1));
    h.Add(value.data(), value.size());
    h.Add("", 1);
  } else {
    HashElement(&h, static_cast<uint8_t>(value.type()), nullptr, value.data(), value.size());
  }
  return h.Finish();
}

int CompareKeyValues(ValueView a, ValueView b) {
  const int ra = CanonicalTypeRank(a.type()), rb = CanonicalTypeRank(b.type());
  if (ra != rb) return Cmp(ra, rb);
  return CompareSameRank(a, b);
}

}  // namespace aviary::mongo
