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

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace aviary {

// BSON type tags; only these are understood by the engine.
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
  }
  return "unknown";
}

class DocumentView;

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

// Owns one value. Cheap for scalars and short strings (small-string storage, no heap).
class Value {
 public:
  Value() : type_(Type::kNull) {}
  explicit Value(ValueView view) : type_(view.type()), bytes_(view.data(), view.size()) {}

  static Value Int64(int64_t v) { return Value(ValueView::Int64(v)); }
  static Value Double(double v) { return Value(ValueView::Double(v)); }
  static Value Bool(bool v) { return Value(ValueView::Bool(v)); }
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
  if (type_ == Type::kDouble) return static_cast<int64_t>(as_double());
  return 0;
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
  DocumentBuilder& Append(std::string_view name, int64_t v) { return Append(name, ValueView::Int64(v)); }
  DocumentBuilder& Append(std::string_view name, double v) { return Append(name, ValueView::Double(v)); }
  DocumentBuilder& Append(std::string_view name, std::string_view s) { return Append(name, ValueView::String(s)); }
  // For arrays: appends under the next index.
  DocumentBuilder& Push(ValueView value) { return Append(std::to_string(count_), value); }

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
  size_t size() const { return doc_.count(); }
  Value Finish() { return doc_.Finish(); }

 private:
  DocumentBuilder doc_;
};

}  // namespace aviary

#endif  // AVIARY_VALUE_H_
