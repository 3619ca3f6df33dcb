// PLACEHOLDER (issue 21 scaffolding): the list engine is being written on branch i21-lists. Every
// function below is a stub so that the tree builds; none is reachable from a command yet.
#include "engine/list_ops.h"

namespace dkv::engine {

size_t ListLen(const Entry*) { return 0; }
bool ListIndex(const Entry*, int64_t, std::string*) { return false; }
void ListRange(const Entry*, size_t, size_t, bool, const std::function<bool(std::string_view)>&) {}
size_t ListPush(Database&, std::string_view, ListEnd, const std::vector<std::string_view>&) {
  return 0;
}
std::vector<std::string> ListPop(Database&, Entry*, ListEnd, size_t) { return {}; }
bool ListSet(Database&, Entry*, int64_t, std::string_view) { return false; }
int64_t ListInsert(Database&, Entry*, bool, std::string_view, std::string_view) { return -1; }
size_t ListRemove(Database&, Entry*, int64_t, std::string_view) { return 0; }
void ListTrim(Database&, Entry*, int64_t, int64_t) {}
std::string ListMove(Database&, Entry*, std::string_view, ListEnd, ListEnd) { return {}; }
void ListStore(Database&, std::string_view, const std::vector<std::string>&) {}
std::string ListSerialize(const Entry* entry) { return std::string(entry->value()); }
bool ListMaterialize(std::string_view, const ContainerLimits&, std::string*) { return false; }
void ListRelease(Entry*) {}
std::string ListClone(const Entry* entry) { return std::string(entry->value()); }
size_t ListExtraBytes(const Entry*) { return 0; }

}  // namespace dkv::engine
