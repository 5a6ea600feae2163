// A valid shared library without the Aviary entry point: loading it must fail clearly.
extern "C" int not_an_aviary_function() { return 42; }
