// The one entry point of a plugin library. A plugin defines its job class and writes
//   AVIARY_PLUGIN(MyJob, "myjob", "what it computes")
// once in one source file. The engine loads the library with dlopen(RTLD_NOW | RTLD_LOCAL), looks
// up `aviary_plugin_entry`, and refuses the library unless the ABI version matches its own.
#ifndef AVIARY_PLUGIN_H_
#define AVIARY_PLUGIN_H_

#include <cstdint>

#include "aviary/job.h"

// Bumped on any change to the layout of the classes in include/aviary/.
#define AVIARY_PLUGIN_ABI_VERSION 2u  // 2: Job::map_takes_line_blocks(), MapContext::EmitInt64()

extern "C" {
struct AviaryPluginInfo {
  uint32_t abi_version;     // AVIARY_PLUGIN_ABI_VERSION at the plugin's build
  uint32_t info_size;       // sizeof(AviaryPluginInfo), a second guard against mismatched headers
  const char* name;         // short job name, e.g. "wordcount"
  const char* description;  // one line describing the job, for people reading the plugin
  aviary::Job* (*create)();
  void (*destroy)(aviary::Job*);
};
}

#define AVIARY_PLUGIN(JobClass, job_name, job_description)                                     \
  extern "C" __attribute__((visibility("default"))) const AviaryPluginInfo* aviary_plugin_entry() { \
    static const AviaryPluginInfo info = {                                                     \
        AVIARY_PLUGIN_ABI_VERSION,                                                             \
        sizeof(AviaryPluginInfo),                                                              \
        job_name,                                                                              \
        job_description,                                                                       \
        []() -> aviary::Job* { return new JobClass(); },                                       \
        [](aviary::Job* job) { delete job; },                                                  \
    };                                                                                         \
    return &info;                                                                              \
  }

#endif  // AVIARY_PLUGIN_H_
