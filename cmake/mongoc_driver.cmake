# aviary_mongoc: libmongoc, linked, or loaded on its first call.
#
# Debian's libmongoc initialises itself from a library constructor (OpenSSL's ciphers, Cyrus
# SASL and its plugins, a counters file in /dev/shm) and brings a dozen more libraries (ICU,
# libmongocrypt, snappy, ...): 5-6 ms of every exec here, for a driver that most commands and
# every `aviary run` over files never call. So a target whose AVIARY_LAZY_MONGOC property is
# true (the `aviary` binary) links src/storage/mongo/mongoc_on_first_use.cc instead, which
# loads the driver with dlopen() on its first call; everything else (tests, benchmarks) links
# it as usual. libbson is linked either way: it is small and has no constructor.
add_library(aviary_mongoc INTERFACE)
target_include_directories(aviary_mongoc INTERFACE
  $<TARGET_PROPERTY:mongo::mongoc_shared,INTERFACE_INCLUDE_DIRECTORIES>)
target_link_libraries(aviary_mongoc INTERFACE mongo::bson_shared
  "$<IF:$<BOOL:$<TARGET_PROPERTY:AVIARY_LAZY_MONGOC>>,aviary_mongoc_on_first_use,mongo::mongoc_shared>")

add_library(aviary_mongoc_on_first_use STATIC ${CMAKE_SOURCE_DIR}/src/storage/mongo/mongoc_on_first_use.cc)
target_include_directories(aviary_mongoc_on_first_use PRIVATE
  $<TARGET_PROPERTY:mongo::mongoc_shared,INTERFACE_INCLUDE_DIRECTORIES>)
target_compile_definitions(aviary_mongoc_on_first_use PRIVATE
  AVIARY_MONGOC_SONAME="$<TARGET_SONAME_FILE_NAME:mongo::mongoc_shared>")
target_link_libraries(aviary_mongoc_on_first_use PUBLIC mongo::bson_shared ${CMAKE_DL_LIBS})
