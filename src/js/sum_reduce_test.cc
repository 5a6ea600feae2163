#include "js/sum_reduce.h"

#include <gtest/gtest.h>

namespace aviary::js {
namespace {

TEST(RecogniseSumReduce, ArraySumWhateverTheNamesAndSpacing) {
  EXPECT_EQ(RecogniseSumReduce("function (key, values) { return Array.sum(values); }"), SumReduce::kArraySum);
  EXPECT_EQ(RecogniseSumReduce("function(k,vs){return Array.sum(vs)}"), SumReduce::kArraySum);
  EXPECT_EQ(RecogniseSumReduce("function reduce(keyCustId, valuesPrices) {\n  // add\n  return Array.sum(valuesPrices);\n}\n"),
            SumReduce::kArraySum);
  EXPECT_EQ(RecogniseSumReduce("(k, v) => Array.sum(v)"), SumReduce::kArraySum);
  EXPECT_EQ(RecogniseSumReduce("(k, v) => { return Array.sum(v); }"), SumReduce::kArraySum);
}

TEST(RecogniseSumReduce, LoopsFromZero) {
  EXPECT_EQ(RecogniseSumReduce("function (k, v) { var s = 0; for (var i = 0; i < v.length; i++) s += v[i]; return s; }"),
            SumReduce::kFromZero);
  EXPECT_EQ(RecogniseSumReduce("function (key, values) {\n let total = 0;\n for (let val of values) {\n total += val;\n }\n"
                               " return total;\n}"),
            SumReduce::kFromZero);
  EXPECT_EQ(RecogniseSumReduce("function (k, v) { var t = 0; v.forEach(function (x) { t = t + x; }); return t; }"),
            SumReduce::kFromZero);
  EXPECT_EQ(RecogniseSumReduce("function (k, v) { var t = 0; for (var j = 0; j < v.length; ++j) { t += v[j] } return t }"),
            SumReduce::kFromZero);
}

TEST(RecogniseSumReduce, AnythingElseIsNot) {
  for (const char* source : {
           "function (k, v) { return Array.sum(v) + 1; }",
           "function (k, v) { print(k); return Array.sum(v); }",
           "function (k, v) { return Array.avg(v); }",
           "function (k, v) { return Array.sum(k); }",
           "function (k, v) { var s = 1; for (var i = 0; i < v.length; i++) s += v[i]; return s; }",
           "function (k, v) { var s = 0; for (var i = 0; i < v.length; i++) s += v[i].count; return s; }",
           "function (k, v) { var s = 0; for (var i = 0; i < v.length; i++) s += v[i]; return i; }",
           "function (k, v) { var s = 0; for (var i = 1; i < v.length; i++) s += v[i]; return s; }",
           "function (k, Array) { return Array.sum(Array); }",
           "function (k, v) { return Array.sum(v); } /* unterminated",
           "function (k, v) { return 'Array.sum(v)'; }",
           "",
       }) {
    EXPECT_EQ(RecogniseSumReduce(source), SumReduce::kNone) << source;
  }
}

}  // namespace
}  // namespace aviary::js
