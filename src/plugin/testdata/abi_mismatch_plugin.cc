// A plugin built against a future ABI: the loader must refuse it before calling anything else.
#include "aviary/plugin.h"

extern "C" __attribute__((visibility("default"))) const AviaryPluginInfo* aviary_plugin_entry() {
  static const AviaryPluginInfo info = {999, sizeof(AviaryPluginInfo), "future", "built for ABI 999", nullptr, nullptr};
  return &info;
}
