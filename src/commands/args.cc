#include "src/commands/args.h"

#include <cctype>

namespace dkv::server {

bool WalkSlice(engine::Database& db, const std::string& prefix, const std::string& start,
               bool resume, size_t count, const std::function<void(engine::Entry*)>& visit,
               std::string* last) {
  size_t seen = 0;
  bool more = false;
  db.Walk(prefix, start, resume, [&](engine::Entry* e) {
    if (seen == count) {
      more = true;
      return false;
    }
    ++seen;
    last->assign(e->key());
    if (!db.IsExpired(e)) visit(e);
    return true;
  });
  return more;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string ToUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace dkv::server
