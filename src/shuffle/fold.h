// Folding several values of one key into one, shared by the map side's run merge and the reduce
// side: a numeric sum under Combiner::kSum (Reduce() is never called then), else Reduce().
#ifndef AVIARY_SHUFFLE_FOLD_H_
#define AVIARY_SHUFFLE_FOLD_H_

#include <string_view>
#include <vector>

#include "aviary/job.h"
#include "common/status.h"

namespace aviary::shuffle {

// The error for a non-numeric value under Combiner::kSum.
Status NotNumeric(ValueView value, std::string_view encoded_key);

// Folds `values` (two or more) of `encoded_key` into `*out`: added up under kSum, else with
// job->Reduce(). A throwing Reduce() becomes an Internal status.
Status FoldValues(Job* job, Combiner combiner, std::string_view encoded_key, const std::vector<ValueView>& values,
                  Value* out);

}  // namespace aviary::shuffle

#endif  // AVIARY_SHUFFLE_FOLD_H_
