// Typed keys and values as plugins see them.
//
// A ValueView is a non-owning, typed view of one value. Its type set and binary layout are BSON's,
// so a view can point straight into a document that libmongoc returned (no copy between the driver
// and the plugin). The one exception: a kString view points at the characters only, without BSON's
// length prefix and trailing NUL, so a plugin can emit a word that points into its input line.
//
// A Value owns one encoded value; build documents and arrays with DocumentBuilder / ArrayBuilder.
// Thread safety: views and values are plain data; share them across threads only read-only.
#ifndef AVIARY_VALUE_H_
#define AVIARY_VALUE_H_

#include <concepts>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace aviary {

// BSON type tags: every type a BSON document can hold. Plugins build the first group; the second
// comes only from input documents, and a view of it carries BSON's raw payload (for kSymbol and
// kCode the int32 length prefix and the trailing NUL included, unlike kString).
enum class Type : uint8_t {
  kDouble = 0x01,
  kString = 0x02,
  kDocument = 0x03,
  kArray = 0x04,
  kBinary = 0x05,
  kObjectId = 0x07,
  kBool = 0x08,
  kDateTime = 0x09,
  kNull = 0x0A,
  kInt32 = 0x10,
  kTimestamp = 0x11,
  kInt64 = 0x12,

  kUndefined = 0x06,      // deprecated; compares equal to null as a key
  kRegex = 0x0B,          // two cstrings: pattern, options
  kDbPointer = 0x0C,      // string + 12-byte ObjectId
  kCode = 0x0D,           // JavaScript code, a BSON string
  kSymbol = 0x0E,         // deprecated; compares equal to the string as a key
  kCodeWithScope = 0x0F,  // int32 total size, string, document
  kDecimal128 = 0x13,     // 16 bytes, IEEE 754-2008 BID
  kMinKey = 0xFF,
  kMaxKey = 0x7F,
};

// Returns a short name such as "string" for error messages.
inline const char* TypeName(Type type) {
  switch (type) {
    case Type::kDouble: return "double";
    case Type::kString: return "string";
    case Type::kDocument: return "document";
    case Type::kArray: return "array";
    case Type::kBinary: return "binary";
    case Type::kObjectId: return "objectId";
    case Type::kBool: return "bool";
    case Type::kDateTime: return "date";
    case Type::kNull: return "null";
    case Type::kInt32: return "int32";
    case Type::kTimestamp: return "timestamp";
    case Type::kInt64: return "int64";
    case Type::kUndefined: return "undefined";
    case Type::kRegex: return "regex";
    case Type::kDbPointer: return "dbPointer";
    case Type::kCode: return "javascript";
    case Type::kSymbol: return "symbol";
    case Type::kCodeWithScope: return "javascriptWithScope";
    case Type::kDecimal128: return "decimal";
    case Type::kMinKey: return "minKey";
    case Type::kMaxKey: return "maxKey";
  }
  return "unknown";
}

class DocumentView;

namespace detail {
// Character types are not numbers here: Emit("k", 'x') is almost surely a mistake.
template <class T>
concept CharType = std::same_as<T, char> || std::same_as<T, wchar_t> || std::same_as<T, char8_t> ||
                   std::same_as<T, char16_t> || std::same_as<T, char32_t>;
// Integer types whose every value an int64 holds exactly (so not uint64_t, which may not fit).
template <class T>
concept ExactInt64 = std::is_integral_v<T> && !std::same_as<T, bool> && !CharType<T> &&
                     (std::is_signed_v<T> ? sizeof(T) <= 8 : sizeof(T) < 8);
// Types whose every value a double holds exactly.
template <class T>
concept ExactDouble = std::same_as<T, double> || std::same_as<T, float> || (ExactInt64<T> && sizeof(T) <= 4);
}  // namespace detail

// The arithmetic types a plugin may pass where a number is expected: each maps to the one BSON
// type that holds all its values (bool -> kBool, integers up to int64/uint32 -> kInt64, float and
// double -> kDouble). Others (uint64_t, long double, char) are deleted overloads, so a call that
// would narrow does not compile instead of silently truncating.
template <class T>
concept Scalar = std::same_as<T, bool> || detail::ExactInt64<T> || std::same_as<T, double> || std::same_as<T, float>;
template <class T>
concept NarrowingScalar = std::is_arithmetic_v<T> && !Scalar<T>;

class ValueView {
 public:
  // A null value.
  constexpr ValueView() = default;
  // REQUIRES: `data` holds `size` bytes laid out as described in the file comment for `type`.
  constexpr ValueView(Type type, const char* data, size_t size)
      : data_(data), size_(static_cast<uint32_t>(size)), type_(type) {}

  static ValueView String(std::string_view s) { return ValueView(Type::kString, s.data(), s.size()); }
  static ValueView Null() { return ValueView(); }
  // Views of scalars point at storage the caller keeps alive (e.g. a local int64_t).
  static ValueView Int64(const int64_t& v) {
    return ValueView(Type::kInt64, reinterpret_cast<const char*>(&v), sizeof v);
  }
  static ValueView Double(const double& v) {
    return ValueView(Type::kDouble, reinterpret_cast<const char*>(&v), sizeof v);
  }
  static ValueView Bool(const bool& v) {
    return ValueView(Type::kBool, reinterpret_cast<const char*>(&v), 1);
  }
  // A view of another type would point at a converted temporary that dies at the end of the
  // statement: refused at compile time. Use Value::Int64(x) etc., which own their bytes.
  template <class T> static ValueView Int64(const T&) = delete;
  template <class T> static ValueView Double(const T&) = delete;
  template <class T> static ValueView Bool(const T&) = delete;

  Type type() const { return type_; }
  // The raw bytes: characters for strings, the whole BSON document for documents and arrays,
  // the little-endian payload otherwise.
  const char* data() const { return data_; }
  size_t size() const { return size_; }

  bool is_null() const { return type_ == Type::kNull; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_int() const { return type_ == Type::kInt64 || type_ == Type::kInt32; }
  bool is_number() const { return is_int() || type_ == Type::kDouble; }
  bool is_document() const { return type_ == Type::kDocument; }
  bool is_array() const { return type_ == Type::kArray; }

  // Accessors return a neutral value (empty, 0, false) when the type does not match.
  std::string_view as_string() const { return is_string() ? std::string_view(data_, size_) : std::string_view(); }
  int64_t as_int() const;
  double as_double() const;
  bool as_bool() const { return type_ == Type::kBool && size_ == 1 && data_[0] != 0; }
  // Milliseconds since the Unix epoch, for kDateTime.
  int64_t as_datetime_ms() const { return type_ == Type::kDateTime ? as_int_unchecked() : 0; }
  // Valid when is_document() or is_array(); an empty document otherwise.
  DocumentView as_document() const;

  // Exact equality of type and bytes.
  bool operator==(const ValueView& other) const {
    return type_ == other.type_ && size_ == other.size_ && (size_ == 0 || std::memcmp(data_, other.data_, size_) == 0);
  }

 private:
  int64_t as_int_unchecked() const;

  // 16 bytes, so a view travels in two registers through Emit() (a 24-byte view is passed in
  // memory, which measurably stalls every emit). BSON values are far below 4 GiB.
  const char* data_ = nullptr;
  uint32_t size_ = 0;
  Type type_ = Type::kNull;
};
static_assert(sizeof(ValueView) == 16, "ValueView must stay two registers wide");

// Calls `f` with a view of `v` in its BSON type (see Scalar); the view points at a local that
// lives until `f` returns. No allocation: Emit(word, 1) stays as cheap as a view of an int64.
template <Scalar T, class F>
[[gnu::always_inline]] inline decltype(auto) WithScalarView(T v, F&& f) {
  if constexpr (std::same_as<T, bool>) {
    const bool x = v;
    return f(ValueView::Bool(x));
  } else if constexpr (std::is_floating_point_v<T>) {
    const double x = v;
    return f(ValueView::Double(x));
  } else {
    const int64_t x = v;
    return f(ValueView::Int64(x));
  }
}

// Owns one value. Cheap for scalars and short strings (small-string storage, no heap).
class Value {
 public:
  Value() : type_(Type::kNull) {}
  explicit Value(ValueView view) : type_(view.type()), bytes_(view.data(), view.size()) {}

  // Exact for every argument type allowed; a narrowing one (Int64(2.5), Double(int64_t),
  // Bool(1)) does not compile.
  template <detail::ExactInt64 T> static Value Int64(T v) {
    const int64_t wide = v;
    return Value(ValueView::Int64(wide));
  }
  template <detail::ExactDouble T> static Value Double(T v) {
    const double wide = static_cast<double>(v);
    return Value(ValueView::Double(wide));
  }
  template <std::same_as<bool> T> static Value Bool(T v) {
    const bool b = v;
    return Value(ValueView::Bool(b));
  }
  // The Value of a Scalar in its BSON type (see Scalar).
  template <Scalar T> static Value Of(T v) {
    return WithScalarView(v, [](ValueView view) { return Value(view); });
  }
  static Value String(std::string_view s) { return Value(ValueView::String(s)); }
  static Value Null() { return Value(); }
  // REQUIRES: `bson` is a complete BSON document (as produced by the builders).
  static Value FromBson(Type document_or_array, std::string bson) {
    Value v;
    v.type_ = document_or_array;
    v.bytes_ = std::move(bson);
    return v;
  }

  ValueView view() const { return ValueView(type_, bytes_.data(), bytes_.size()); }
  operator ValueView() const { return view(); }  // NOLINT: a Value is usable wherever a view is.

 private:
  Type type_;
  std::string bytes_;
};

// A read-only view of a BSON document or array. Iteration yields (name, value) pairs; for arrays
// the names are "0", "1", ... Malformed bytes end the iteration early (valid() turns false).
class DocumentView {
 public:
  struct Field {
    std::string_view name;
    ValueView value;
  };

  class Iterator {
   public:
    Iterator() = default;
    Iterator(const char* pos, const char* end) : pos_(pos), end_(end) { Parse(); }
    const Field& operator*() const { return field_; }
    const Field* operator->() const { return &field_; }
    Iterator& operator++() {
      pos_ = next_;
      Parse();
      return *this;
    }
    bool operator==(const Iterator& other) const { return pos_ == other.pos_; }
    bool operator!=(const Iterator& other) const { return pos_ != other.pos_; }

   private:
    void Parse();
    const char* pos_ = nullptr;
    const char* end_ = nullptr;
    const char* next_ = nullptr;
    Field field_;
  };

  DocumentView() = default;
  // REQUIRES: `bson` points at a BSON document of `size` bytes that outlives this view.
  DocumentView(const char* bson, size_t size) : data_(bson), size_(size) {}

  Iterator begin() const { return size_ >= 5 ? Iterator(data_ + 4, data_ + size_ - 1) : end(); }
  Iterator end() const { return size_ >= 5 ? Iterator(data_ + size_ - 1, data_ + size_ - 1) : Iterator(); }
  bool empty() const { return size_ <= 5; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }

  // The value of the top-level field `name`, if present.
  std::optional<ValueView> Get(std::string_view name) const {
    for (const Field& f : *this) {
      if (f.name == name) return f.value;
    }
    return std::nullopt;
  }
  // The value at a dotted path such as "user.address.city" (array elements by index, "tags.0").
  std::optional<ValueView> GetPath(std::string_view path) const {
    DocumentView doc = *this;
    while (true) {
      size_t dot = path.find('.');
      std::optional<ValueView> v = doc.Get(path.substr(0, dot));
      if (!v || dot == std::string_view::npos) return v;
      if (!v->is_document() && !v->is_array()) return std::nullopt;
      doc = v->as_document();
      path.remove_prefix(dot + 1);
    }
  }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
};

namespace detail {
inline int32_t LoadInt32(const char* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline int64_t LoadInt64(const char* p) {
  int64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
// Size of the BSON payload of `type` starting at `p`, or -1 if unknown or running past `end`.
inline int64_t PayloadSize(Type type, const char* p, const char* end) {
  const int64_t avail = end - p;
  auto need = [&](int64_t n) { return n <= avail ? n : -1; };
  switch (type) {
    case Type::kDouble: case Type::kDateTime: case Type::kTimestamp: case Type::kInt64: return need(8);
    case Type::kInt32: return need(4);
    case Type::kBool: return need(1);
    case Type::kNull: return 0;
    case Type::kObjectId: return need(12);
    case Type::kString: {
      if (avail < 4) return -1;
      int32_t n = LoadInt32(p);
      return n >= 1 ? need(4 + int64_t{n}) : -1;
    }
    case Type::kDocument: case Type::kArray: {
      if (avail < 5) return -1;
      int32_t n = LoadInt32(p);
      return n >= 5 ? need(n) : -1;
    }
    case Type::kBinary: {
      if (avail < 5) return -1;
      int32_t n = LoadInt32(p);
      return n >= 0 ? need(5 + int64_t{n}) : -1;
    }
    case Type::kUndefined: case Type::kMinKey: case Type::kMaxKey: return 0;
    case Type::kDecimal128: return need(16);
    case Type::kCode: case Type::kSymbol: {
      if (avail < 4) return -1;
      int32_t n = LoadInt32(p);
      return n >= 1 ? need(4 + int64_t{n}) : -1;
    }
    case Type::kDbPointer: {
      if (avail < 4) return -1;
      int32_t n = LoadInt32(p);
      return n >= 1 ? need(4 + int64_t{n} + 12) : -1;
    }
    case Type::kCodeWithScope: {
      if (avail < 4) return -1;
      int32_t n = LoadInt32(p);
      return n >= 14 ? need(n) : -1;  // size, string (>= 5 bytes), document (>= 5 bytes)
    }
    case Type::kRegex: {
      const void* pattern_end = std::memchr(p, 0, static_cast<size_t>(avail));
      if (pattern_end == nullptr) return -1;
      const char* options = static_cast<const char*>(pattern_end) + 1;
      const void* options_end = std::memchr(options, 0, static_cast<size_t>(end - options));
      return options_end ? static_cast<const char*>(options_end) + 1 - p : -1;
    }
  }
  return -1;
}
}  // namespace detail

inline void DocumentView::Iterator::Parse() {
  if (pos_ == nullptr || pos_ >= end_) {
    pos_ = end_;
    return;
  }
  const Type type = static_cast<Type>(static_cast<uint8_t>(*pos_));
  const char* name = pos_ + 1;
  const void* nul = std::memchr(name, 0, static_cast<size_t>(end_ - name));
  const char* payload = nul ? static_cast<const char*>(nul) + 1 : nullptr;
  const int64_t n = payload ? detail::PayloadSize(type, payload, end_) : -1;
  if (n < 0) {  // malformed or unsupported: stop here
    pos_ = end_;
    return;
  }
  field_.name = std::string_view(name, static_cast<size_t>(payload - 1 - name));
  if (type == Type::kString) {
    field_.value = ValueView(type, payload + 4, static_cast<size_t>(n - 5));
  } else {
    field_.value = ValueView(type, payload, static_cast<size_t>(n));
  }
  next_ = payload + n;
}

inline int64_t ValueView::as_int_unchecked() const {
  return size_ == 8 ? detail::LoadInt64(data_) : (size_ == 4 ? detail::LoadInt32(data_) : 0);
}

inline int64_t ValueView::as_int() const {
  if (type_ == Type::kInt64 || type_ == Type::kInt32) return as_int_unchecked();
  if (type_ != Type::kDouble) return 0;
  // Truncated toward zero, saturated at the int64 range, NaN as 0: a plain cast of an
  // out-of-range double is undefined behaviour.
  const double d = as_double();
  if (!(d == d)) return 0;
  if (d >= 9223372036854775808.0) return INT64_MAX;
  if (d < -9223372036854775808.0) return INT64_MIN;
  return static_cast<int64_t>(d);
}

inline double ValueView::as_double() const {
  if (type_ == Type::kDouble && size_ == 8) {
    double d;
    std::memcpy(&d, data_, sizeof d);
    return d;
  }
  return is_int() ? static_cast<double>(as_int_unchecked()) : 0.0;
}

inline DocumentView ValueView::as_document() const {
  return (is_document() || is_array()) ? DocumentView(data_, size_) : DocumentView();
}

// Builds a BSON document (or array, whose field names are the indexes) field by field.
// Not thread-safe. Finish() may be called once.
class DocumentBuilder {
 public:
  explicit DocumentBuilder(Type kind = Type::kDocument) : kind_(kind) { bytes_.assign(4, '\0'); }

  DocumentBuilder& Append(std::string_view name, ValueView value) {
    const Type stored = value.type() == Type::kString ? Type::kString : value.type();
    bytes_.push_back(static_cast<char>(stored));
    bytes_.append(name.data(), name.size());
    bytes_.push_back('\0');
    if (stored == Type::kString) {
      const int32_t n = static_cast<int32_t>(value.size() + 1);
      bytes_.append(reinterpret_cast<const char*>(&n), 4);
      bytes_.append(value.data(), value.size());
      bytes_.push_back('\0');
    } else {
      bytes_.append(value.data(), value.size());
    }
    ++count_;
    return *this;
  }
  // A number or bool in its BSON type (see Scalar): Append("n", 1) is an int64, Append("x", 2.5f)
  // a double, Append("b", true) a bool.
  template <Scalar T> DocumentBuilder& Append(std::string_view name, T v) {
    return WithScalarView(v, [&](ValueView view) -> DocumentBuilder& { return Append(name, view); });
  }
  template <NarrowingScalar T> DocumentBuilder& Append(std::string_view name, T v) = delete;
  DocumentBuilder& Append(std::string_view name, std::string_view s) { return Append(name, ValueView::String(s)); }
  // For arrays: appends under the next index.
  DocumentBuilder& Push(ValueView value) { return Append(std::to_string(count_), value); }
  template <Scalar T> DocumentBuilder& Push(T v) {
    return WithScalarView(v, [&](ValueView view) -> DocumentBuilder& { return Push(view); });
  }
  template <NarrowingScalar T> DocumentBuilder& Push(T v) = delete;
  DocumentBuilder& Push(std::string_view s) { return Push(ValueView::String(s)); }

  size_t count() const { return count_; }

  Value Finish() {
    bytes_.push_back('\0');
    const int32_t n = static_cast<int32_t>(bytes_.size());
    std::memcpy(bytes_.data(), &n, 4);
    return Value::FromBson(kind_, std::move(bytes_));
  }

 private:
  Type kind_;
  std::string bytes_;
  size_t count_ = 0;
};

class ArrayBuilder {
 public:
  ArrayBuilder() : doc_(Type::kArray) {}
  ArrayBuilder& Push(ValueView value) {
    doc_.Push(value);
    return *this;
  }
  template <Scalar T> ArrayBuilder& Push(T v) {
    doc_.Push(v);
    return *this;
  }
  template <NarrowingScalar T> ArrayBuilder& Push(T v) = delete;
  ArrayBuilder& Push(std::string_view s) { return Push(ValueView::String(s)); }
  size_t size() const { return doc_.count(); }
  Value Finish() { return doc_.Finish(); }

 private:
  DocumentBuilder doc_;
};

}  // namespace aviary

#endif  // AVIARY_VALUE_H_
