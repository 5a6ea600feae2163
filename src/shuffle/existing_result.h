// The existing documents of out mode "reduce" as they travel through the shuffle.
//
// MongoDB's incremental mapReduce (out: {reduce: coll}) reduces each key's new result with the
// document the target already holds under that _id, and leaves every other target document as
// it is. Aviary reads the target as one extra map input (a passthrough split) whose values are
// the whole target documents, tagged with a type byte that BSON does not use; the reduce side
// (reduce.cc) then sees old and new values of a key together, in the canonical key's equality:
//   - only an existing document: nothing is written, the target keeps it untouched;
//   - new values and an existing document with a `value` field: Reduce({old value, new result}),
//     then Finalize, written under the existing document's own _id (its type kept);
//   - new values and an existing document without `value`: the new result replaces it.
#ifndef AVIARY_SHUFFLE_EXISTING_RESULT_H_
#define AVIARY_SHUFFLE_EXISTING_RESULT_H_

#include "aviary/value.h"

namespace aviary::shuffle {

// The tag of an encoded value holding a whole existing target document. Never a plugin's: Emit()
// refuses the tag as malformed.
inline constexpr Type kExistingResultType = static_cast<Type>(0xE0);

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_EXISTING_RESULT_H_
