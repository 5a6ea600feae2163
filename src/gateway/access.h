// Whether a client's connection may run a mapReduce: the gateway never widens a client's
// rights, so it asks the upstream, on the client's own pinned connection, who is logged in and
// with which privileges (connectionStatus {showPrivileges: true}), and checks the input and
// output namespaces against them as MongoDB's mapReduce did.
#ifndef AVIARY_GATEWAY_ACCESS_H_
#define AVIARY_GATEWAY_ACCESS_H_

#include <bson/bson.h>

#include <set>
#include <string>
#include <vector>

#include "mapreduce/command.h"

namespace aviary::gateway {

struct Privilege {
  bool any_resource = false;  // {anyResource: true}
  bool cluster = false;       // {cluster: true}: no namespace
  std::string db, collection; // "" matches any
  std::set<std::string> actions;
};

struct Access {
  std::vector<std::string> users;  // "user@db"
  std::vector<Privilege> privileges;
};

// Reads the reply of connectionStatus with showPrivileges. False with `*error` if it is not one.
bool ParseConnectionStatus(const bson_t* reply, Access* access, std::string* error);

// The actions mapReduce needs: find on the input; on the output, by out mode, insert and remove
// (replace), insert and update (merge), find, insert and update (reduce).
std::vector<std::pair<std::string, std::string>> RequiredActions(const mapreduce::Request& request);

// Whether `access` allows the request. False with the reason MongoDB would give.
bool MayRun(const Access& access, const mapreduce::Request& request, std::string* why);

}  // namespace aviary::gateway

#endif  // AVIARY_GATEWAY_ACCESS_H_
