// The libmongoc functions Aviary calls, for a binary that does not link the driver: each loads
// it (dlopen) on the first call of any of them, then forwards to the real function. See
// cmake/mongoc_driver.cmake for why; only the `aviary` binary links this file.
//
// Each definition restates its function's declaration in <mongoc/mongoc.h>, so the compiler
// rejects one that no longer matches. A function the driver gained and Aviary starts calling
// fails the link of the `aviary` binary until it is added here.
#include <dlfcn.h>
#include <mongoc/mongoc.h>

#include <cstdio>
#include <cstdlib>

// Tells driver_preinit.cc that no driver constructor runs before main() in this binary.
extern "C" const bool aviary_mongoc_loaded_on_first_use = true;

namespace {

void* Driver() {
  // The driver's constructor runs here. MONGOC_DISABLE_SHM is set by then (main() calls
  // ForgetDriverCountersFile first), so it makes no counters file.
  static void* const library = [] {
    void* handle = ::dlopen(AVIARY_MONGOC_SONAME, RTLD_NOW | RTLD_GLOBAL);
    if (handle == nullptr) {
      std::fprintf(stderr, "aviary: cannot load the MongoDB driver %s: %s\n", AVIARY_MONGOC_SONAME, ::dlerror());
      std::abort();
    }
    return handle;
  }();
  return library;
}

void* DriverFunction(const char* name) {
  void* function = ::dlsym(Driver(), name);
  if (function == nullptr) {
    std::fprintf(stderr, "aviary: the MongoDB driver %s has no %s\n", AVIARY_MONGOC_SONAME, name);
    std::abort();
  }
  return function;
}

}  // namespace

#define AVIARY_FORWARD(ret, name, params, args)                                             \
  ret name params {                                                                         \
    static const auto real = reinterpret_cast<decltype(&name)>(DriverFunction(#name));      \
    return real args;                                                                       \
  }

extern "C" {

AVIARY_FORWARD(void, mongoc_init, (void), ())
AVIARY_FORWARD(void, mongoc_log_set_handler, (mongoc_log_func_t f, void* data), (f, data))
AVIARY_FORWARD(const char*, mongoc_log_level_str, (mongoc_log_level_t level), (level))

AVIARY_FORWARD(mongoc_uri_t*, mongoc_uri_new_with_error, (const char* s, bson_error_t* e), (s, e))
AVIARY_FORWARD(void, mongoc_uri_destroy, (mongoc_uri_t * u), (u))
AVIARY_FORWARD(bool, mongoc_uri_has_option, (const mongoc_uri_t* u, const char* k), (u, k))
AVIARY_FORWARD(bool, mongoc_uri_set_appname, (mongoc_uri_t * u, const char* v), (u, v))
AVIARY_FORWARD(bool, mongoc_uri_set_option_as_int32, (mongoc_uri_t * u, const char* o, int32_t v), (u, o, v))

AVIARY_FORWARD(mongoc_client_t*, mongoc_client_new_from_uri_with_error, (const mongoc_uri_t* u, bson_error_t* e),
               (u, e))
AVIARY_FORWARD(void, mongoc_client_destroy, (mongoc_client_t * c), (c))
AVIARY_FORWARD(bool, mongoc_client_set_error_api, (mongoc_client_t * c, int32_t v), (c, v))
AVIARY_FORWARD(mongoc_collection_t*, mongoc_client_get_collection, (mongoc_client_t * c, const char* d, const char* n),
               (c, d, n))
AVIARY_FORWARD(mongoc_database_t*, mongoc_client_get_database, (mongoc_client_t * c, const char* n), (c, n))
AVIARY_FORWARD(bool, mongoc_client_command_simple,
               (mongoc_client_t * c, const char* db, const bson_t* cmd, const mongoc_read_prefs_t* p, bson_t* r,
                bson_error_t* e),
               (c, db, cmd, p, r, e))
AVIARY_FORWARD(bool, mongoc_client_read_command_with_opts,
               (mongoc_client_t * c, const char* db, const bson_t* cmd, const mongoc_read_prefs_t* p, const bson_t* o,
                bson_t* r, bson_error_t* e),
               (c, db, cmd, p, o, r, e))

AVIARY_FORWARD(void, mongoc_database_destroy, (mongoc_database_t * d), (d))
AVIARY_FORWARD(mongoc_collection_t*, mongoc_database_create_collection,
               (mongoc_database_t * d, const char* n, const bson_t* o, bson_error_t* e), (d, n, o, e))
AVIARY_FORWARD(mongoc_cursor_t*, mongoc_database_find_collections_with_opts, (mongoc_database_t * d, const bson_t* o),
               (d, o))
AVIARY_FORWARD(bool, mongoc_database_read_command_with_opts,
               (mongoc_database_t * d, const bson_t* cmd, const mongoc_read_prefs_t* p, const bson_t* o, bson_t* r,
                bson_error_t* e),
               (d, cmd, p, o, r, e))
AVIARY_FORWARD(bool, mongoc_database_write_command_with_opts,
               (mongoc_database_t * d, const bson_t* cmd, const bson_t* o, bson_t* r, bson_error_t* e),
               (d, cmd, o, r, e))

AVIARY_FORWARD(void, mongoc_collection_destroy, (mongoc_collection_t * c), (c))
AVIARY_FORWARD(const char*, mongoc_collection_get_name, (mongoc_collection_t * c), (c))
AVIARY_FORWARD(mongoc_cursor_t*, mongoc_collection_aggregate,
               (mongoc_collection_t * c, mongoc_query_flags_t f, const bson_t* pipeline, const bson_t* o,
                const mongoc_read_prefs_t* p),
               (c, f, pipeline, o, p))
AVIARY_FORWARD(int64_t, mongoc_collection_count_documents,
               (mongoc_collection_t * c, const bson_t* f, const bson_t* o, const mongoc_read_prefs_t* p, bson_t* r,
                bson_error_t* e),
               (c, f, o, p, r, e))
AVIARY_FORWARD(mongoc_bulk_operation_t*, mongoc_collection_create_bulk_operation_with_opts,
               (mongoc_collection_t * c, const bson_t* o), (c, o))
AVIARY_FORWARD(bool, mongoc_collection_delete_many,
               (mongoc_collection_t * c, const bson_t* s, const bson_t* o, bson_t* r, bson_error_t* e),
               (c, s, o, r, e))
AVIARY_FORWARD(bool, mongoc_collection_delete_one,
               (mongoc_collection_t * c, const bson_t* s, const bson_t* o, bson_t* r, bson_error_t* e),
               (c, s, o, r, e))
AVIARY_FORWARD(bool, mongoc_collection_drop_with_opts, (mongoc_collection_t * c, const bson_t* o, bson_error_t* e),
               (c, o, e))
AVIARY_FORWARD(mongoc_cursor_t*, mongoc_collection_find_indexes_with_opts, (mongoc_collection_t * c, const bson_t* o),
               (c, o))
AVIARY_FORWARD(mongoc_cursor_t*, mongoc_collection_find_with_opts,
               (mongoc_collection_t * c, const bson_t* f, const bson_t* o, const mongoc_read_prefs_t* p),
               (c, f, o, p))
AVIARY_FORWARD(bool, mongoc_collection_insert_one,
               (mongoc_collection_t * c, const bson_t* d, const bson_t* o, bson_t* r, bson_error_t* e),
               (c, d, o, r, e))
AVIARY_FORWARD(bool, mongoc_collection_rename_with_opts,
               (mongoc_collection_t * c, const char* db, const char* n, bool drop, const bson_t* o, bson_error_t* e),
               (c, db, n, drop, o, e))
AVIARY_FORWARD(bool, mongoc_collection_replace_one,
               (mongoc_collection_t * c, const bson_t* s, const bson_t* d, const bson_t* o, bson_t* r,
                bson_error_t* e),
               (c, s, d, o, r, e))
AVIARY_FORWARD(bool, mongoc_collection_update_one,
               (mongoc_collection_t * c, const bson_t* s, const bson_t* u, const bson_t* o, bson_t* r,
                bson_error_t* e),
               (c, s, u, o, r, e))

AVIARY_FORWARD(void, mongoc_bulk_operation_destroy, (mongoc_bulk_operation_t * b), (b))
AVIARY_FORWARD(uint32_t, mongoc_bulk_operation_execute, (mongoc_bulk_operation_t * b, bson_t* r, bson_error_t* e),
               (b, r, e))
AVIARY_FORWARD(bool, mongoc_bulk_operation_insert_with_opts,
               (mongoc_bulk_operation_t * b, const bson_t* d, const bson_t* o, bson_error_t* e), (b, d, o, e))
AVIARY_FORWARD(bool, mongoc_bulk_operation_replace_one_with_opts,
               (mongoc_bulk_operation_t * b, const bson_t* s, const bson_t* d, const bson_t* o, bson_error_t* e),
               (b, s, d, o, e))

AVIARY_FORWARD(void, mongoc_cursor_destroy, (mongoc_cursor_t * c), (c))
AVIARY_FORWARD(bool, mongoc_cursor_next, (mongoc_cursor_t * c, const bson_t** d), (c, d))
AVIARY_FORWARD(bool, mongoc_cursor_error, (mongoc_cursor_t * c, bson_error_t* e), (c, e))
AVIARY_FORWARD(mongoc_cursor_t*, mongoc_cursor_new_from_command_reply_with_opts,
               (mongoc_client_t * c, bson_t* r, const bson_t* o), (c, r, o))

}  // extern "C"
