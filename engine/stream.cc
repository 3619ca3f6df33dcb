// Streams: entries in nodes, IDs, trimming (engine/stream.h). STUB: the interface is fixed; the
// implementation lands with issue 22's stream work.
#include "engine/stream.h"

#include <cstring>

namespace dkv::engine {

struct Stream::Node {};

std::string StreamId::ToString() const { return std::to_string(ms) + "-" + std::to_string(seq); }

bool StreamId::Increment(StreamId* next) const {
  if (*this == Max()) return false;
  *next = seq == UINT64_MAX ? StreamId{ms + 1, 0} : StreamId{ms, seq + 1};
  return true;
}

bool StreamId::Decrement(StreamId* prev) const {
  if (*this == Min()) return false;
  *prev = seq == 0 ? StreamId{ms - 1, UINT64_MAX} : StreamId{ms, seq - 1};
  return true;
}

bool ParseStreamId(std::string_view, uint64_t, bool, StreamId*) { return false; }

StreamLimits& GlobalStreamLimits() {
  static StreamLimits limits;
  return limits;
}

Stream::Stream() = default;
Stream::~Stream() = default;
StreamId Stream::first_id() const { return {}; }
void Stream::Append(StreamId, std::span<const std::string_view>, const StreamLimits&) {}
bool Stream::Delete(StreamId) { return false; }
void Stream::Range(StreamId, StreamId, bool, const StreamVisit&) const {}
bool Stream::Lookup(StreamId, const StreamVisit&) const { return false; }
size_t Stream::TrimByLength(size_t, bool, size_t) { return 0; }
size_t Stream::TrimByMinId(StreamId, bool, size_t) { return 0; }
size_t Stream::node_count() const { return nodes_.size(); }
size_t Stream::bytes() const { return sizeof(Stream); }

Stream* StreamOf(const Entry* entry) {
  return static_cast<Stream*>(PointerOf(entry, Encoding::kStream));
}

Entry* CreateStream(Database& db, std::string_view key) {
  Entry* e = db.FindRaw(key);
  if (e != nullptr) return e;
  return db.InsertContainer(key, Kind::kStream, PointerValue(Encoding::kStream, new Stream()));
}

void NoteStreamWrite(Database& db, Entry* entry, uint64_t writes) {
  db.NoteValueChanged(entry);
  db.NoteWrite(entry->key(), ChangeKind::kWrite, writes);
}

void StreamRelease(Entry* entry) { delete StreamOf(entry); }
std::string StreamClone(const Entry*) { return PointerValue(Encoding::kStream, new Stream()); }
size_t StreamExtraBytes(const Entry* entry) {
  Stream* s = StreamOf(entry);
  return s ? s->bytes() : 0;
}

}  // namespace dkv::engine
