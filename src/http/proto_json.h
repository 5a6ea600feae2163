// Protobuf messages as JSON for the web API, by reflection: every field a status message gains
// later appears in the API without this code changing. Unlike protobuf's own JSON mapping,
// 64-bit integers stay numbers (JavaScript reads them exactly up to 2^53, far above any count
// here), enums are their names and field names keep the .proto spelling.
//
// Thread safety: pure functions.
#ifndef AVIARY_HTTP_PROTO_JSON_H_
#define AVIARY_HTTP_PROTO_JSON_H_

#include <google/protobuf/message.h>

#include <nlohmann/json.hpp>

namespace aviary::http {

// Every set field of `message` (proto3 defaults included for scalars, so clients see zeros).
nlohmann::json ProtoToJson(const google::protobuf::Message& message);

}  // namespace aviary::http

#endif  // AVIARY_HTTP_PROTO_JSON_H_
