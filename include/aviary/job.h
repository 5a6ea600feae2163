// The interface a job author implements: map, reduce, and the optional combine, finalize and
// partition steps. See docs/plugin-api.md for a complete example.
//
// Semantics follow MongoDB's mapReduce: the result holds one document {_id: key, value: v} per
// distinct key; Reduce() is not called for a key with a single value, may be called again on its
// own output (as the combiner on the map side, and across map outputs on the reduce side), so it
// must be associative, commutative and idempotent, and return a value of the type that Map emits.
//
// Thread safety: the engine creates one Job object per task attempt and calls it from one thread.
#ifndef AVIARY_JOB_H_
#define AVIARY_JOB_H_

#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "aviary/value.h"

namespace aviary {

// Where a record came from, for messages and for jobs (like an inverted index) that need it.
struct RecordSource {
  std::string_view file;        // input file path as matched by the input glob; empty for MongoDB
  uint64_t offset = 0;          // byte offset of the record in `file`
  std::string_view shard;       // shard name for MongoDB input
  std::string_view collection;  // "db.collection" for MongoDB input
};

// One input record: a line of text, or a document (MongoDB input and JSON lines).
class Record {
 public:
  Record(std::string_view text, const DocumentView* document, const RecordSource& source)
      : text_(text), document_(document), source_(source) {}

  // The line for text input; for documents, the job's text field (option --field, default
  // "text"), or empty when the document has no such string field.
  std::string_view text() const { return text_; }
  // The whole document, or nullptr for plain text lines.
  const DocumentView* document() const { return document_; }
  const RecordSource& source() const { return source_; }

 private:
  std::string_view text_;
  const DocumentView* document_;  // not owned
  const RecordSource& source_;
};

// Job parameters given with `--param name=value` on the command line (mapReduce's `scope`).
class Params {
 public:
  virtual ~Params() = default;
  // The value of `name`, or `fallback` when it was not given.
  virtual std::string_view Get(std::string_view name, std::string_view fallback = {}) const = 0;
};

// Receives the pairs that Map emits. Keys and values are copied before Emit returns, so views
// into the record or into locals are fine.
class MapContext {
 public:
  virtual ~MapContext() = default;
  virtual void Emit(ValueView key, ValueView value) = 0;

  void Emit(std::string_view key, ValueView value) { Emit(ValueView::String(key), value); }
  // A number or bool value in its exact BSON type (see Scalar in value.h): Emit(w, 1) emits an
  // int64, Emit(w, 2.5) a double, Emit(w, true) a bool. Types that would narrow (uint64_t, long
  // double, char) do not compile: convert them explicitly.
  template <Scalar T> void Emit(std::string_view key, T value) {
    if constexpr (detail::ExactInt64<T>) {
      EmitInt64(key, value);
    } else {
      WithScalarView(value, [&](ValueView v) { Emit(ValueView::String(key), v); });
    }
  }
  template <Scalar T> void Emit(ValueView key, T value) {
    WithScalarView(value, [&](ValueView v) { Emit(key, v); });
  }
  template <NarrowingScalar T> void Emit(std::string_view key, T value) = delete;
  template <NarrowingScalar T> void Emit(ValueView key, T value) = delete;
  // Adds to a named job counter shown by `aviary status`.
  virtual void Count(std::string_view counter, int64_t delta) = 0;
  // A counter counts whole numbers: Count(name, 2.5) or a uint64_t/size_t delta (which may
  // not fit) does not compile rather than silently truncate.
  template <class T>
    requires(std::is_arithmetic_v<T> && !detail::ExactInt64<T>)
  void Count(std::string_view counter, T delta) = delete;

 protected:
  // Emit(key, n) of a string key and a whole number: word count's pair, which the engine's
  // context takes in registers, without building views. It must equal the default.
  virtual void EmitInt64(std::string_view key, int64_t value) {
    WithScalarView(value, [&](ValueView v) { Emit(ValueView::String(key), v); });
  }
};

// The values of one key, in no particular order.
class Values {
 public:
  explicit Values(const std::vector<ValueView>& views) : views_(views) {}
  size_t size() const { return views_.size(); }
  ValueView operator[](size_t i) const { return views_[i]; }
  auto begin() const { return views_.begin(); }
  auto end() const { return views_.end(); }

 private:
  const std::vector<ValueView>& views_;
};

// How values of one key are folded together on the map side before the shuffle.
enum class Combiner {
  kReduce,  // call Reduce() as the combiner (the default, as in MongoDB's mapReduce)
  kSum,     // numeric running sum kept in place: no Reduce() call per emit (Phoenix++'s sum combiner)
  kNone,    // keep every value until the reduce side
  // Doubles are summed in place, without Reduce() calls, as sum + value (a key with one value
  // keeps it as it is); a key that also gets a value of another type is folded with Reduce()
  // from then on, which is also used on the reduce side. For a Reduce() that returns a + b for
  // two doubles and something else for other types, as MongoDB's `Array.sum(values)` does.
  kSumDoubles,
};

// Errors: an exception escaping Map, Reduce, Finalize or Partition fails the attempt and counts
// as an error of the user's code. Because the same input throws the same way again, a task whose
// second attempt fails with the same error fails the job at once, with that message, instead of
// using up every retry. Throw LimitExceeded instead for a failure that a retry may not repeat
// (a time or memory limit the job enforces itself): those keep the full retry budget.
class LimitExceeded : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Job {
 public:
  virtual ~Job() = default;

  // Called once per task attempt before any other call. Return false and set `*error` to fail.
  virtual bool Setup(const Params& params, std::string* error) {
    (void)params;
    (void)error;
    return true;
  }
  virtual void Map(const Record& record, MapContext& ctx) = 0;
  // Folds two or more values of `key` into one. With Combiner::kSum it is never called; with
  // kSumDoubles, not on the map side for a key whose values are all doubles.
  virtual Value Reduce(ValueView key, const Values& values) = 0;

  virtual Combiner combiner() const { return Combiner::kReduce; }

  // Optional last step on each key's final value (mapReduce's finalize).
  virtual bool has_finalize() const { return false; }
  virtual Value Finalize(ValueView key, ValueView reduced) {
    (void)key;
    return Value(reduced);
  }

  // Text files only: return true when Map treats a line break as a separator and nothing more,
  // so that Map on two lines joined by '\n' emits what Map on each line would (a word count's
  // does). Map then gets many lines per call: record.text() holds whole lines with the '\n's
  // between them (and every '\r'), and record.source().offset is the first one's. That saves a
  // call, and a search for the line's end, per line. Other inputs still come a record at a time.
  virtual bool map_takes_line_blocks() const { return false; }

  // Optional custom partitioner; the default spreads keys by a hash of their bytes.
  virtual bool has_partitioner() const { return false; }
  virtual uint32_t Partition(ValueView key, uint32_t num_partitions) {
    (void)key;
    (void)num_partitions;
    return 0;
  }
};

}  // namespace aviary

#endif  // AVIARY_JOB_H_
