// Protocol buffers `string` fields must hold valid UTF-8: a message with other bytes in one is
// refused by the receiving side's parser, so a single bad file name or plugin error would make a
// task spec or heartbeat unsendable and leave its job hanging. Values that must travel byte for
// byte (file paths a task opens) use `bytes` fields; everything else is checked or repaired here
// at the boundary where it enters a message.
//
// Thread safety: free functions without shared state.
#ifndef AVIARY_RPC_UTF8_H_
#define AVIARY_RPC_UTF8_H_

#include <google/protobuf/message.h>

#include "common/status.h"
#include "common/utf8.h"

namespace aviary::rpc {

using aviary::IsValidUtf8;
using aviary::ToValidUtf8;

// InvalidArgument naming the first `string` field (as "job.params[name]", "split.description")
// of `message` whose value is not valid UTF-8; OK when the message can be sent.
Status CheckUtf8(const google::protobuf::Message& message);

// Replaces, in place, the value of every `string` field of `message` (nested messages, repeated
// fields and map values included) that is not valid UTF-8 with ToValidUtf8 of it. For text shown
// to people: error messages from user code, captured output.
void RepairUtf8(google::protobuf::Message* message);

}  // namespace aviary::rpc

#endif  // AVIARY_RPC_UTF8_H_
