// Runs a parsed mapReduce request as an Aviary job and answers as MongoDB would.
#ifndef AVIARY_MAPREDUCE_RUNNER_H_
#define AVIARY_MAPREDUCE_RUNNER_H_

#include <bson/bson.h>

#include "client/coordinator_client.h"
#include "mapreduce/command.h"

namespace aviary::mapreduce {

// Submits the request's job, waits for it to end and appends MongoDB's reply to the empty
// `reply`. False with `*error` when the job cannot be submitted or fails (a failed job is
// JSInterpreterFailure, code 139, with the job's error: the function, the error, the document).
// Blocks for the job's whole run.
bool Run(client::CoordinatorClient& coordinator, const Request& request, bson_t* reply, Error* error);

// Parses and runs `command`, always producing a reply: the result or an error reply. Returns
// whether it succeeded.
bool Execute(client::CoordinatorClient& coordinator, const bson_t* command, const Target& target, bson_t* reply);

}  // namespace aviary::mapreduce

#endif  // AVIARY_MAPREDUCE_RUNNER_H_
