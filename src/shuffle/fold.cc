#include "shuffle/fold.h"

#include "shuffle/key.h"
#include "shuffle/plugin_call.h"
#include "shuffle/sum.h"

namespace aviary::shuffle {

Status NotNumeric(ValueView value, std::string_view encoded_key) {
  return InvalidArgument(std::string("the sum combiner needs numbers, but key ") + DescribeKey(encoded_key) +
                         " (" + TypeName(DecodeValue(encoded_key).type()) + ") got a " +
                         TypeName(value.type()) + " value");
}

Status FoldValues(Job* job, Combiner combiner, std::string_view encoded_key, const std::vector<ValueView>& values,
                  Value* out) {
  if (combiner == Combiner::kSum) {
    Sum sum;
    sum.Clear();
    for (ValueView v : values) {
      if (!sum.Add(v)) return NotNumeric(v, encoded_key);
    }
    char encoded[Sum::kEncodedSize];
    *out = Value(DecodeValue(std::string_view(encoded, sum.EncodeTo(encoded))));
    return Status::OK();
  }
  return CallPlugin("Reduce", encoded_key, [&] { *out = job->Reduce(DecodeValue(encoded_key), Values(values)); });
}

}  // namespace aviary::shuffle
