# aviary_grpc_stack: gRPC, protobuf and Abseil as one link unit.
#
# Every job starts several `aviary` processes one after another (the command, its workers, their
# task zygotes), and with some 40 shared gRPC and Abseil libraries the dynamic loader's symbol
# lookups more than doubled what each exec costs (24 ms of CPU against 10 ms; see
# docs/performance.md). So a target whose AVIARY_STATIC_GRPC property is true (the `aviary`
# binary) links Debian's static archives of these libraries; everything else (tests,
# benchmarks) links the shared ones. Plugins never link any of them, so no process holds two
# copies.
option(AVIARY_STATIC_GRPC "Link gRPC, protobuf and Abseil statically into the aviary binary" ON)

add_library(aviary_grpc_stack INTERFACE)
set(_aviary_grpc_shared protobuf::libprotobuf gRPC::grpc++ absl::flat_hash_map)
set(_aviary_grpc_static "")
if(AVIARY_STATIC_GRPC)
  pkg_check_modules(GRPC_STACK QUIET grpc++ protobuf)
  # System libraries stay shared: mongoc, the JavaScript plugin and others load them too.
  set(_keep_shared ssl crypto z dl rt m atomic pthread)
  foreach(name IN LISTS GRPC_STACK_STATIC_LIBRARIES)
    if(name IN_LIST _keep_shared OR "lib${name}.a" IN_LIST _aviary_grpc_static_names)
      continue()
    endif()
    find_library(_archive_${name} NAMES lib${name}.a NO_CACHE)
    if(NOT _archive_${name})
      message(STATUS "aviary: no lib${name}.a; the aviary binary links gRPC shared")
      set(_aviary_grpc_static "")
      break()
    endif()
    list(APPEND _aviary_grpc_static_names "lib${name}.a")
    list(APPEND _aviary_grpc_static "${_archive_${name}}")
  endforeach()
endif()

if(_aviary_grpc_static)
  # A group, because pkg-config's order lists some Abseil archives before their last user.
  string(REPLACE ";" "$<SEMICOLON>" _static_items
         "-Wl$<COMMA>--start-group;${_aviary_grpc_static};-Wl$<COMMA>--end-group;OpenSSL::SSL;OpenSSL::Crypto;ZLIB::ZLIB;Threads::Threads")
  string(REPLACE ";" "$<SEMICOLON>" _shared_items "${_aviary_grpc_shared}")
  target_link_libraries(aviary_grpc_stack INTERFACE
    "$<IF:$<BOOL:$<TARGET_PROPERTY:AVIARY_STATIC_GRPC>>,${_static_items},${_shared_items}>")
  # Headers and definitions are the same for both.
  target_include_directories(aviary_grpc_stack INTERFACE
    $<TARGET_PROPERTY:gRPC::grpc++,INTERFACE_INCLUDE_DIRECTORIES>)
  list(LENGTH _aviary_grpc_static _count)
  message(STATUS "aviary: the aviary binary links ${_count} gRPC/protobuf/Abseil archives")
else()
  target_link_libraries(aviary_grpc_stack INTERFACE ${_aviary_grpc_shared})
endif()
