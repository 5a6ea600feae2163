// The built-in `javascript` job (lib/aviary/javascript.so): see job.h and docs/javascript.md.
#include "aviary/plugin.h"
#include "js/job.h"

AVIARY_PLUGIN(aviary::js::JavascriptJob, "javascript",
              "MongoDB mapReduce in JavaScript (--param map=FUNCTION --param reduce=FUNCTION [finalize, scope])")
