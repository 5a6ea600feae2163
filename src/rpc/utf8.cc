#include "rpc/utf8.h"

#include <vector>

#include "common/utf8.h"

namespace aviary::rpc {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool IsText(const FieldDescriptor* field) {
  return field->type() == FieldDescriptor::TYPE_STRING;
}

// Calls `visit(path, value)` for every string value in `message`; stops when it returns false.
template <typename Visit>
bool VisitStrings(const Message& message, const std::string& prefix, const Visit& visit) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string path = prefix.empty() ? field->name() : prefix + "." + field->name();
    if (field->is_repeated()) {
      const int n = reflection->FieldSize(message, field);
      for (int i = 0; i < n; ++i) {
        const std::string at = path + "[" + std::to_string(i) + "]";
        if (IsText(field) && !visit(at, reflection->GetRepeatedString(message, field, i))) return false;
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
            !VisitStrings(reflection->GetRepeatedMessage(message, field, i), at, visit)) {
          return false;
        }
      }
    } else if (IsText(field)) {
      if (!visit(path, reflection->GetString(message, field))) return false;
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (!VisitStrings(reflection->GetMessage(message, field), path, visit)) return false;
    }
  }
  return true;
}

}  // namespace

Status CheckUtf8(const Message& message) {
  std::string bad;
  VisitStrings(message, "", [&bad](const std::string& path, const std::string& value) {
    if (IsValidUtf8(value)) return true;
    bad = path + " (\"" + ToValidUtf8(value) + "\")";
    return false;
  });
  if (bad.empty()) return Status::OK();
  return InvalidArgument(bad + " is not valid UTF-8");
}

void RepairUtf8(Message* message) {
  const Reflection* reflection = message->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->is_repeated()) {
      const int n = reflection->FieldSize(*message, field);
      for (int i = 0; i < n; ++i) {
        if (IsText(field)) {
          const std::string& value = reflection->GetRepeatedString(*message, field, i);
          if (!IsValidUtf8(value)) reflection->SetRepeatedString(message, field, i, ToValidUtf8(value));
        } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          RepairUtf8(reflection->MutableRepeatedMessage(message, field, i));
        }
      }
    } else if (IsText(field)) {
      const std::string& value = reflection->GetString(*message, field);
      if (!IsValidUtf8(value)) reflection->SetString(message, field, ToValidUtf8(value));
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      RepairUtf8(reflection->MutableMessage(message, field));
    }
  }
}

}  // namespace aviary::rpc
