#include "coordinator/planner.h"

#include <algorithm>

#include "coordinator/defaults.h"
#include "rpc/utf8.h"
#include "storage/input.h"

namespace aviary::coordinator {
namespace {

Status ApplyDefaults(rpc::JobSpec& spec, const std::string& job_id, const TrackerOptions& options) {
  if (spec.plugin().empty()) return InvalidArgument("the job names no plugin");
  if (spec.max_attempts() == 0) spec.set_max_attempts(options.max_attempts ? options.max_attempts : kDefaultMaxAttempts);
  if (spec.output_uri() == "inline") {
    // Spool the result next to the coordinator; clients stream it back with ReadOutput.
    spec.set_inline_output(true);
    spec.set_output_uri("inline:" + options.inline_dir + "/" + job_id);
  }
  return Status::OK();
}

struct PlannedInput {
  std::vector<rpc::InputSplit> splits;
  InputFootprint footprint;
  std::string layout;  // InputFormat::LayoutVersion
  std::string consistency;  // InputFormat::ReadConsistency
};

StatusOr<PlannedInput> PlanInput(const rpc::JobSpec& spec, uint32_t live_slots, Env* env) {
  ASSIGN_OR_RETURN(auto input, InputFormat::ForJob(spec, env));
  PlannedInput planned;
  ASSIGN_OR_RETURN(planned.splits, input->PlanSplits({spec.map_tasks(), live_slots}));
  planned.footprint = input->Footprint();
  planned.layout = input->LayoutVersion();
  planned.consistency = input->ReadConsistency();
  return planned;
}

// Refuses a job whose tasks could not be sent to a worker (protobuf strings must be UTF-8): it
// would otherwise wait forever for tasks no worker can receive.
Status CheckSendable(const rpc::JobSpec& spec, const std::vector<rpc::InputSplit>& splits) {
  RETURN_IF_ERROR(rpc::CheckUtf8(spec).WithContext("the job cannot be sent to workers"));
  for (const rpc::InputSplit& split : splits) {
    RETURN_IF_ERROR(rpc::CheckUtf8(split).WithContext("input split " + std::to_string(split.index()) +
                                                     " cannot be sent to workers"));
  }
  return Status::OK();
}

void AddTasks(Job& job, std::vector<rpc::InputSplit> splits) {
  for (uint32_t i = 0; i < splits.size(); ++i) {
    Task t;
    t.kind = rpc::MAP;
    t.index = i;
    t.split = std::move(splits[i]);
    job.maps.push_back(std::move(t));
  }
  for (uint32_t r = 0; r < job.spec.reduce_tasks(); ++r) {
    Task t;
    t.kind = rpc::REDUCE;
    t.index = r;
    job.reduces.push_back(std::move(t));
  }
}

}  // namespace

StatusOr<std::unique_ptr<Job>> PlanJob(rpc::JobSpec spec, const std::string& job_id, uint32_t live_slots,
                                       const TrackerOptions& options, Env* env) {
  RETURN_IF_ERROR(ApplyDefaults(spec, job_id, options));
  RETURN_IF_ERROR(rpc::CheckUtf8(spec).WithContext("the job cannot be sent to workers"));
  ASSIGN_OR_RETURN(PlannedInput input, PlanInput(spec, live_slots, env));
  std::vector<rpc::InputSplit> splits = std::move(input.splits);
  spec.set_input_layout(input.layout);  // never the client's: checked before commit (commit.h)
  spec.set_input_consistency(input.consistency);
  ASSIGN_OR_RETURN(auto output, OutputFormat::ForJob(spec, env));
  // Every kind of job (plugins, built-ins, JavaScript, the mapReduce command) is planned here.
  RETURN_IF_ERROR(output->CheckSparesInput(input.footprint));
  ASSIGN_OR_RETURN(std::vector<rpc::InputSplit> extra, output->ExtraInputSplits());
  for (auto& split : extra) splits.push_back(std::move(split));
  for (uint32_t i = 0; i < splits.size(); ++i) splits[i].set_index(i);
  if (spec.reduce_tasks() == 0) spec.set_reduce_tasks(std::max<uint32_t>(1, live_slots));
  RETURN_IF_ERROR(CheckSendable(spec, splits));
  RETURN_IF_ERROR(output->SetupJob(job_id));

  auto job = std::make_unique<Job>();
  job->id = job_id;
  spec.set_map_tasks(static_cast<uint32_t>(splits.size()));
  job->spec = std::move(spec);
  job->output = std::move(output);
  AddTasks(*job, std::move(splits));
  // An empty input has nothing to map: go straight to reducing (empty partitions).
  job->SetPhase(job->maps.empty() ? JobPhase::kReducing : JobPhase::kMapping);
  return job;
}

}  // namespace aviary::coordinator
