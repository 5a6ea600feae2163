// A valid shared library without aviary_plugin_entry: the loader must refuse it.
extern "C" int not_a_plugin_answer() { return 42; }
