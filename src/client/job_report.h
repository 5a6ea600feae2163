// How a client shows a job: its state as a word, a human summary, JSON.
#ifndef AVIARY_CLIENT_JOB_REPORT_H_
#define AVIARY_CLIENT_JOB_REPORT_H_

#include <google/protobuf/message.h>

#include <string>

#include "rpc/aviary.pb.h"

namespace aviary::client {

// True once the job can change no more (succeeded, failed or cancelled).
bool IsFinal(rpc::JobState state);
// "running", "succeeded", ...
std::string StateName(rpc::JobState state);
// Multi-line human summary of a finished (or running) job.
std::string DescribeJob(const rpc::JobStatus& job, bool with_tasks);
// Indented JSON with proto field names and every field present.
std::string ToJson(const google::protobuf::Message& message);

}  // namespace aviary::client

#endif  // AVIARY_CLIENT_JOB_REPORT_H_
