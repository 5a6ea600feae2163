#include "storage/mongo/bson_convert.h"

#include "storage/mongo/handles.h"

namespace aviary::mongo {

bool AppendToBson(bson_t* doc, const char* name, ValueView v) {
  // libbson cannot append a raw element, but it can copy one from an iterator: wrap the value in
  // a one-field document first.
  std::string one;
  StartDocument(&one);
  AppendRawElement(&one, "v", v);
  FinishDocument(&one);
  BsonView view(one);
  bson_iter_t it;
  return view.ok() && bson_iter_init_find(&it, view.get(), "v") && bson_append_iter(doc, name, -1, &it);
}

}  // namespace aviary::mongo
