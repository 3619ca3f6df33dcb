// PLACEHOLDER (issue 21 scaffolding): the sorted-set engine is being written on branch i21-zsets.
// Every function below is a stub so that the tree builds; none is reachable from a command yet.
#include "engine/zset_ops.h"

namespace dkv::engine {

size_t ZsetLen(const Entry*) { return 0; }
bool ZsetScore(const Entry*, std::string_view, double*) { return false; }
bool ZsetRank(const Entry*, std::string_view, bool, size_t*, double*) { return false; }
void ZsetRangeByRank(const Entry*, size_t, size_t, bool, const ZsetVisit&) {}
void ZsetRangeByScore(const Entry*, const ScoreRange&, bool, size_t, int64_t, const ZsetVisit&) {}
void ZsetRangeByLex(const Entry*, const LexRange&, bool, size_t, int64_t, const ZsetVisit&) {}
size_t ZsetCountByScore(const Entry*, const ScoreRange&) { return 0; }
size_t ZsetCountByLex(const Entry*, const LexRange&) { return 0; }
ScoredMember ZsetRandom(const Entry*, std::mt19937_64&) { return {}; }
uint64_t ZsetScan(const Entry*, uint64_t, const std::function<void(std::string_view, double)>&) {
  return 0;
}
ZaddResult ZsetAdd(Database&, std::string_view,
                   const std::vector<std::pair<double, std::string_view>>&, const ZaddFlags&) {
  return {};
}
size_t ZsetRemove(Database&, Entry*, const std::vector<std::string_view>&) { return 0; }
size_t ZsetRemoveRangeByRank(Database&, Entry*, size_t, size_t) { return 0; }
size_t ZsetRemoveRangeByScore(Database&, Entry*, const ScoreRange&) { return 0; }
size_t ZsetRemoveRangeByLex(Database&, Entry*, const LexRange&) { return 0; }
std::vector<ScoredMember> ZsetPop(Database&, Entry*, bool, size_t) { return {}; }
void ZsetStore(Database&, std::string_view, const std::vector<ScoredMember>&) {}
std::string ZsetSerialize(const Entry* entry) { return std::string(entry->value()); }
bool ZsetMaterialize(std::string_view, const ContainerLimits&, std::string*) { return false; }
void ZsetRelease(Entry*) {}
std::string ZsetClone(const Entry* entry) { return std::string(entry->value()); }
size_t ZsetExtraBytes(const Entry*) { return 0; }

}  // namespace dkv::engine
