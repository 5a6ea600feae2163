#include "common/process_fork.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace aviary {

bool SingleThreaded() {
  std::error_code ec;
  size_t threads = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/task", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++threads;
  }
  return !ec && threads == 1;
}

namespace {

// Fields 48 and 49 of /proc/self/stat (proc(5)): where the argument strings lie. The command
// name (field 2) may hold spaces and parentheses, so fields are counted after its last ')'.
bool ArgumentArea(uintptr_t* begin, uintptr_t* end) {
  std::ifstream in("/proc/self/stat");
  const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return false;
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  for (int n = 3; n <= 49 && fields >> field; ++n) {
    if (n == 48) *begin = std::stoull(field);
    if (n == 49) *end = std::stoull(field);
  }
  return fields && *begin != 0 && *end > *begin;
}

}  // namespace

bool SetProcessTitle(const std::vector<std::string>& args) {
  uintptr_t begin = 0, end = 0;
  try {
    if (!ArgumentArea(&begin, &end)) return false;
  } catch (const std::exception&) {  // a field that is not a number
    return false;
  }
  std::string text;
  for (const std::string& arg : args) text.append(arg).push_back('\0');
  char* area = reinterpret_cast<char*>(begin);
  const size_t room = end - begin;
  std::memset(area, 0, room);
  // The last byte stays '\0': the kernel then reads the area as NUL-separated strings.
  std::memcpy(area, text.data(), std::min(text.size(), room - 1));
  return true;
}

}  // namespace aviary
