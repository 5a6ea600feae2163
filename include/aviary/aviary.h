// Everything a job author needs: #include "aviary/aviary.h".
#ifndef AVIARY_AVIARY_H_
#define AVIARY_AVIARY_H_

#include "aviary/job.h"
#include "aviary/plugin.h"
#include "aviary/value.h"

#endif  // AVIARY_AVIARY_H_
