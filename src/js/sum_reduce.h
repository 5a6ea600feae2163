// Recognises a reduce function that only adds its values up, so the job can add numbers in C++
// instead of calling into JavaScript (and building a JS array) for every few values.
//
// Recognised, whatever the names, spacing, comments, optional semicolons and braces:
//   function (k, v) { return Array.sum(v); }                     (also named, or as an arrow)
//   function (k, v) { var s = 0; for (var i = 0; i < v.length; i++) s += v[i]; return s; }
//   function (k, v) { let s = 0; for (const x of v) { s += x; } return s; }
// Anything else (another statement, a different initial value, a side effect) is not.
//
// The native sum is exact only where it gives what the function gives: job.cc uses it for values
// that are all doubles (what a JavaScript number becomes), adding left to right as the function
// would, and calls the function for anything else (strings concatenate, NumberLong, objects).
#ifndef AVIARY_JS_SUM_REDUCE_H_
#define AVIARY_JS_SUM_REDUCE_H_

#include <string_view>

namespace aviary::js {

enum class SumReduce {
  kNone,        // not a pure sum: call the function
  kArraySum,    // Array.sum(values): values[0] + values[1] + ...
  kFromZero,    // a loop from 0: 0 + values[0] + values[1] + ... (differs for -0 only)
};

SumReduce RecogniseSumReduce(std::string_view source);

}  // namespace aviary::js

#endif  // AVIARY_JS_SUM_REDUCE_H_
