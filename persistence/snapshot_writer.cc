// Snapshot writing: records into blocks, blocks into a checksummed stream, the stream into a
// temporary file that replaces the old snapshot atomically. Layout: docs/snapshot-format.md.
#include <dirent.h>
#include <fcntl.h>
#include <lz4.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "engine/container.h"
#include "persistence/coding.h"
#include "persistence/snapshot.h"
#include "persistence/snapshot_layout.h"

namespace dkv::persistence {
namespace {

std::string Errno(const char* what, const std::string& file) {
  return std::string(what) + " " + file + ": " + std::strerror(errno);
}

// Buffered output to a file descriptor that also hashes every byte (the whole-file checksum).
class StreamWriter {
 public:
  explicit StreamWriter(int fd) : fd_(fd), state_(XXH3_createState()) {
    XXH3_64bits_reset(state_);
    buffer_.reserve(kBufferSize);
  }
  ~StreamWriter() { XXH3_freeState(state_); }
  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;

  bool Append(std::string_view bytes, bool hashed = true) {
    if (hashed) XXH3_64bits_update(state_, bytes.data(), bytes.size());
    written_ += bytes.size();
    if (buffer_.size() + bytes.size() > kBufferSize) {
      if (!Flush()) return false;
      if (bytes.size() >= kBufferSize) return WriteAll(bytes);
    }
    buffer_.append(bytes);
    return true;
  }
  uint64_t Digest() const { return XXH3_64bits_digest(state_); }
  bool Flush() {
    bool ok = WriteAll(buffer_);
    buffer_.clear();
    return ok;
  }
  uint64_t written() const { return written_; }

 private:
  static constexpr size_t kBufferSize = 1 << 20;

  bool WriteAll(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  int fd_;
  XXH3_state_t* state_;
  std::string buffer_;
  uint64_t written_ = 0;
};

class Writer {
 public:
  Writer(const engine::Keyspace& keyspace, int fd, const SaveOptions& options)
      : keyspace_(keyspace), options_(options), out_(fd), now_ms_(keyspace.now_ms()) {}

  std::string Run(SaveStats* stats) {
    WriteHeader();
    for (int i = 0; i < keyspace_.database_count() && error_.empty(); ++i) {
      const engine::Database& db = const_cast<engine::Keyspace&>(keyspace_).db(i);
      if (db.size() == 0) continue;
      block_ns_ = ids_[static_cast<size_t>(i)];
      db.Walk("", "", false, [&](engine::Entry* e) {
        int64_t expire = db.ExpireAt(e);
        if (expire != 0 && expire <= now_ms_) return true;  // expired at the cut
        AddRecord(db, *e, expire);
        if (options_.key_save_delay_us > 0)
          usleep(static_cast<useconds_t>(options_.key_save_delay_us));
        return error_.empty();
      });
      FinishBlock();
    }
    if (error_.empty()) WriteEnd();
    if (error_.empty() && !out_.Flush()) error_ = std::string("write: ") + std::strerror(errno);
    if (stats != nullptr) {
      stats->keys = records_;
      stats->bytes = out_.written();
      stats->blocks = blocks_;
    }
    return error_;
  }

 private:
  void WriteHeader() {
    std::string body;
    PutFixed64(&body, static_cast<uint64_t>(now_ms_));
    PutString(&body, options_.server_version);
    // Namespaces with keys, numbered by their order here. The key counts leave out keys that are
    // already expired, exactly as the walk does.
    std::vector<std::pair<uint32_t, const engine::Database*>> present;
    ids_.assign(static_cast<size_t>(keyspace_.database_count()), 0);
    for (int i = 0; i < keyspace_.database_count(); ++i) {
      const engine::Database& db = const_cast<engine::Keyspace&>(keyspace_).db(i);
      if (db.size() == 0) continue;
      ids_[static_cast<size_t>(i)] = static_cast<uint32_t>(present.size());
      present.emplace_back(static_cast<uint32_t>(i), &db);
    }
    PutVarint(&body, present.size());
    for (size_t n = 0; n < present.size(); ++n) {
      const engine::Database& db = *present[n].second;
      PutVarint(&body, n);
      PutString(&body, keyspace_.NamespaceName(static_cast<int>(present[n].first)));
      PutVarint(&body, db.size() - db.CountDue(now_ms_, SIZE_MAX));
    }
    const engine::ContentTypes& types = const_cast<engine::Keyspace&>(keyspace_).content_types();
    std::vector<std::string_view> names;
    for (int i = 1; i <= static_cast<int>(engine::ContentTypes::kMax); ++i) {
      std::string_view name = types.Name(static_cast<uint8_t>(i));
      if (name.empty()) break;
      names.push_back(name);
    }
    PutVarint(&body, names.size());
    for (std::string_view name : names) PutString(&body, name);
    PutVarint(&body, options_.aux.size());
    for (const auto& [k, v] : options_.aux) {
      PutString(&body, k);
      PutString(&body, v);
    }
    std::string head(kSnapshotMagic, sizeof(kSnapshotMagic));
    PutFixed16(&head, options_.format_version);
    PutFixed16(&head, 0);
    PutFixed32(&head, static_cast<uint32_t>(body.size()));
    head += body;
    uint64_t sum = XXH3_64bits(head.data(), head.size());
    PutFixed64(&head, sum);
    Emit(head);
  }

  void AddRecord(const engine::Database& db, const engine::Entry& e, int64_t expire) {
    std::string_view key = e.key();
    const engine::UserFields* fields = e.has_fields() ? db.Fields(&e) : nullptr;
    int64_t created = e.created_ms(), updated = e.updated_ms(), accessed = e.accessed_ms();
    uint8_t flags = static_cast<uint8_t>(e.type()) & kRecTypeMask;
    if (expire != 0) flags |= kRecExpire;
    if (fields != nullptr && !fields->empty()) flags |= kRecFields;
    if (e.content_type() != 0) flags |= kRecContentType;
    if (updated != created || accessed != updated) flags |= kRecTimes;
    uint8_t flags2 = 0;
    if (e.raw_encoding()) flags2 |= kRec2Raw;
    std::string_view value = e.value();
    std::string portable;
    if (e.container()) {
      if (options_.format_version < 2) {
        error_ = "snapshot format " + std::to_string(options_.format_version) +
                 " cannot hold the " + std::string(engine::KindName(e.kind())) + " '" +
                 std::string(key) + "'";
        return;
      }
      // The portable form, never the entry's own bytes (they may hold a pointer). In a forked
      // child this is the one buffer a key costs beyond its record, freed with the record.
      portable = engine::Serialize(&e);
      value = portable;
      flags = static_cast<uint8_t>(flags & ~kRecTypeMask);
      flags2 = static_cast<uint8_t>((flags2 & ~kRec2Raw) |
                                    (static_cast<uint8_t>(e.kind()) << kRec2KindShift));
    }
    if (e.lfu_counter() != engine::kLfuInitialValue) flags2 |= kRec2Lfu;
    if (flags2 != 0) flags |= kRecMore;

    size_t shared = 0;
    size_t limit = std::min(key.size(), last_key_.size());
    while (shared < limit && key[shared] == last_key_[shared]) ++shared;

    std::string& r = raw_;
    r.push_back(static_cast<char>(flags));
    if (flags2 != 0) r.push_back(static_cast<char>(flags2));
    PutVarint(&r, shared);
    PutString(&r, key.substr(shared));
    PutString(&r, value);
    PutVarint(&r, e.version());
    PutVarint(&r, ZigZag(now_ms_ - created));
    if (flags & kRecTimes) {
      PutVarint(&r, ZigZag(updated - created));
      PutVarint(&r, ZigZag(accessed - updated));
    }
    if (flags & kRecExpire) PutVarint(&r, ZigZag(expire - now_ms_));
    if (flags & kRecContentType) PutVarint(&r, e.content_type());
    if (flags & kRecFields) {
      PutVarint(&r, fields->size());
      for (const auto& [name, value] : *fields) {
        PutString(&r, name);
        PutString(&r, value);
      }
    }
    if (flags2 & kRec2Lfu) r.push_back(static_cast<char>(e.lfu_counter()));
    last_key_.assign(key);
    ++block_records_;
    ++records_;
    if (raw_.size() >= options_.block_size) FinishBlock();
  }

  void FinishBlock() {
    if (block_records_ == 0) return;
    std::string_view payload = raw_;
    uint8_t codec = kCodecNone;
    if (options_.compress && raw_.size() <= static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) {
      int bound = LZ4_compressBound(static_cast<int>(raw_.size()));
      if (compressed_.size() < static_cast<size_t>(bound)) {
        compressed_.resize(static_cast<size_t>(bound));
      }
      int n = LZ4_compress_default(raw_.data(), compressed_.data(), static_cast<int>(raw_.size()),
                                   bound);
      // Keep compression only when it saves at least 1/16: decompressing costs load time.
      if (n > 0 && static_cast<size_t>(n) < raw_.size() - raw_.size() / 16) {
        payload = std::string_view(compressed_.data(), static_cast<size_t>(n));
        codec = kCodecLz4;
      }
    }
    std::string head;
    head.push_back(static_cast<char>(kBlockRecords));
    PutVarint(&head, block_ns_);
    PutVarint(&head, block_records_);
    PutVarint(&head, raw_.size());
    PutVarint(&head, payload.size());
    head.push_back(static_cast<char>(codec));
    uint64_t sum = BlockChecksum(head, payload);
    std::string tail;
    PutFixed64(&tail, sum);
    Emit(head);
    Emit(payload);
    Emit(tail);
    ++blocks_;
    raw_.clear();
    last_key_.clear();
    block_records_ = 0;
  }

  void WriteEnd() {
    std::string end;
    end.push_back(static_cast<char>(kBlockEnd));
    PutVarint(&end, records_);
    PutVarint(&end, blocks_);
    Emit(end);
    std::string sum;
    PutFixed64(&sum, out_.Digest());
    if (error_.empty() && !out_.Append(sum, false)) {
      error_ = std::string("write: ") + std::strerror(errno);
    }
  }

  void Emit(std::string_view bytes) {
    if (error_.empty() && !out_.Append(bytes)) {
      error_ = std::string("write: ") + std::strerror(errno);
    }
  }

  const engine::Keyspace& keyspace_;
  const SaveOptions& options_;
  StreamWriter out_;
  int64_t now_ms_;
  std::vector<uint32_t> ids_;  // file namespace id by keyspace index
  std::string raw_;
  std::string compressed_;
  std::string last_key_;
  uint32_t block_ns_ = 0;
  uint64_t block_records_ = 0;
  uint64_t records_ = 0;
  uint64_t blocks_ = 0;
  std::string error_;
};

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

uint64_t BlockChecksum(std::string_view head, std::string_view payload) {
  return XXH3_64bits_withSeed(payload.data(), payload.size(),
                              XXH3_64bits(head.data(), head.size()));
}

std::string WriteSnapshot(const engine::Keyspace& keyspace, int fd, const SaveOptions& options,
                          SaveStats* stats) {
  return Writer(keyspace, fd, options).Run(stats);
}

std::string SaveSnapshotFile(const engine::Keyspace& keyspace, const std::string& path,
                             const SaveOptions& options, SaveStats* stats) {
  std::string tmp = path + ".tmp-" + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", tmp);
  std::string err = WriteSnapshot(keyspace, fd, options, stats);
  if (!err.empty()) err = err + " (" + tmp + ")";
  if (err.empty() && ::fsync(fd) != 0) err = Errno("fsync", tmp);
  if (::close(fd) != 0 && err.empty()) err = Errno("close", tmp);
  if (err.empty() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    err = Errno("cannot rename to", path);
  }
  if (!err.empty()) {
    ::unlink(tmp.c_str());
    return err;
  }
  return FsyncDirectory(DirName(path));
}

std::string FsyncDirectory(const std::string& dir) {
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Errno("cannot open directory", dir);
  std::string err;
  if (::fsync(dfd) != 0) err = Errno("fsync of directory", dir);
  ::close(dfd);
  return err;
}

int RemoveStaleTempFiles(const std::string& path) {
  std::string dir = DirName(path);
  size_t slash = path.rfind('/');
  std::string prefix = (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp-";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return 0;
  int removed = 0;
  while (struct dirent* ent = ::readdir(d)) {
    std::string_view name(ent->d_name);
    if (name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix &&
        ::unlink((dir + "/" + std::string(name)).c_str()) == 0) {
      ++removed;
    }
  }
  ::closedir(d);
  return removed;
}

}  // namespace dkv::persistence
