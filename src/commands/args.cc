#include "src/commands/args.h"

#include <cctype>

namespace dkv::server {

void ReplyScanSlice(CommandContext& ctx, uint64_t cursor, const engine::Pattern& scope,
                    size_t count, const std::function<bool(engine::Entry*)>& accept) {
  std::string start;
  if (cursor != 0) {
    const std::string* resume = ctx.server.scan_cursors.Find(cursor);
    if (resume == nullptr) return ctx.reply.Error(errors::kInvalidCursor);
    start = *resume;
  }
  engine::Database& db = ctx.db();
  std::vector<std::string> keys;
  std::string last;
  size_t seen = 0;
  bool more = false;
  // Expired keys are skipped but count as work, so one call stays bounded.
  db.Walk(scope.literal_prefix(), start, cursor != 0, [&](engine::Entry* e) {
    if (seen == count) {
      more = true;
      return false;
    }
    ++seen;
    last.assign(e->key());
    if (!db.IsExpired(e) && accept(e)) keys.emplace_back(e->key());
    return true;
  });
  uint64_t next = more ? ctx.server.scan_cursors.Save(std::move(last)) : 0;
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(keys.size());
  for (const std::string& k : keys) ctx.reply.Bulk(k);
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
