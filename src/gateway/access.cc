#include "gateway/access.h"

namespace aviary::gateway {

namespace {

std::string Str(const bson_iter_t* it) {
  return BSON_ITER_HOLDS_UTF8(it) ? std::string(bson_iter_utf8(it, nullptr)) : std::string();
}

bool ReadResource(bson_iter_t* it, Privilege* p) {
  bson_iter_t r;
  if (!BSON_ITER_HOLDS_DOCUMENT(it) || !bson_iter_recurse(it, &r)) return false;
  while (bson_iter_next(&r)) {
    const std::string key = bson_iter_key(&r);
    if (key == "anyResource") p->any_resource = bson_iter_as_bool(&r);
    if (key == "cluster") p->cluster = bson_iter_as_bool(&r);
    if (key == "db") p->db = Str(&r);
    if (key == "collection") p->collection = Str(&r);
  }
  return true;
}

bool ReadPrivilege(bson_iter_t* it, Privilege* p) {
  bson_iter_t f;
  if (!BSON_ITER_HOLDS_DOCUMENT(it) || !bson_iter_recurse(it, &f)) return false;
  bool resource = false;
  while (bson_iter_next(&f)) {
    const std::string key = bson_iter_key(&f);
    if (key == "resource") resource = ReadResource(&f, p);
    if (key == "actions" && BSON_ITER_HOLDS_ARRAY(&f)) {
      bson_iter_t a;
      bson_iter_recurse(&f, &a);
      while (bson_iter_next(&a)) p->actions.insert(Str(&a));
    }
  }
  return resource;
}

void ReadUsers(bson_iter_t* it, Access* access) {
  bson_iter_t u;
  if (!BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &u)) return;
  while (bson_iter_next(&u)) {
    bson_iter_t f;
    if (!BSON_ITER_HOLDS_DOCUMENT(&u) || !bson_iter_recurse(&u, &f)) continue;
    std::string user, db;
    while (bson_iter_next(&f)) {
      if (std::string(bson_iter_key(&f)) == "user") user = Str(&f);
      if (std::string(bson_iter_key(&f)) == "db") db = Str(&f);
    }
    access->users.push_back(user + "@" + db);
  }
}

// MongoDB's resource patterns: an exact namespace, every collection of a database, a
// collection name in every database, every namespace, anything. (System collections, which
// the wildcards do not cover, are not mapReduce targets.)
bool Covers(const Privilege& p, const std::string& db, const std::string& coll) {
  if (p.any_resource) return true;
  if (p.cluster) return false;
  return (p.db.empty() || p.db == db) && (p.collection.empty() || p.collection == coll);
}

bool Allowed(const Access& access, const std::string& db, const std::string& coll, const std::string& action) {
  for (const Privilege& p : access.privileges) {
    if (Covers(p, db, coll) && p.actions.count(action)) return true;
  }
  return false;
}

}  // namespace

bool ParseConnectionStatus(const bson_t* reply, Access* access, std::string* error) {
  *access = Access();
  bson_iter_t it, info;
  if (!bson_iter_init_find(&it, reply, "ok") || !bson_iter_as_bool(&it)) {
    *error = "the upstream refused connectionStatus";
    return false;
  }
  if (!bson_iter_init_find(&it, reply, "authInfo") || !bson_iter_recurse(&it, &info)) {
    *error = "the upstream's connectionStatus has no authInfo";
    return false;
  }
  while (bson_iter_next(&info)) {
    const std::string key = bson_iter_key(&info);
    if (key == "authenticatedUsers") ReadUsers(&info, access);
    if (key == "authenticatedUserPrivileges" && BSON_ITER_HOLDS_ARRAY(&info)) {
      bson_iter_t list;
      bson_iter_recurse(&info, &list);
      while (bson_iter_next(&list)) {
        Privilege p;
        if (ReadPrivilege(&list, &p)) access->privileges.push_back(std::move(p));
      }
    }
  }
  return true;
}

std::vector<std::pair<std::string, std::string>> RequiredActions(const mapreduce::Request& r) {
  std::vector<std::pair<std::string, std::string>> need = {{r.in_db + "." + r.in_coll, "find"}};
  if (r.inline_out) return need;
  const std::string out = r.out_db + "." + r.out_coll;
  need.emplace_back(out, "insert");
  if (r.out_mode == "replace") need.emplace_back(out, "remove");
  if (r.out_mode != "replace") need.emplace_back(out, "update");
  if (r.out_mode == "reduce") need.emplace_back(out, "find");
  return need;
}

bool MayRun(const Access& access, const mapreduce::Request& r, std::string* why) {
  if (access.users.empty()) {
    *why = "command mapReduce requires authentication";
    return false;
  }
  for (const auto& [ns, action] : RequiredActions(r)) {
    const size_t dot = ns.find('.');
    if (!Allowed(access, ns.substr(0, dot), ns.substr(dot + 1), action)) {
      *why = "not authorized on " + ns.substr(0, dot) + " to execute command mapReduce: " + action + " on " + ns +
             " is not granted to " + access.users.front();
      return false;
    }
  }
  return true;
}

}  // namespace aviary::gateway
