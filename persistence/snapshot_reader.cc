// Snapshot reading: header, then block by block (checksum first, then decode), then the end
// block and the whole-file checksum. Every failure names the file and the byte offset.
#include <fcntl.h>
#include <lz4.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <set>

#include "engine/container.h"
#include "engine/dict.h"
#include "engine/keyspace.h"
#include "persistence/coding.h"
#include "persistence/snapshot.h"
#include "persistence/snapshot_layout.h"

namespace dkv::persistence {
namespace {

// Buffered input from a file that hashes every byte consumed (the whole-file checksum).
class StreamReader {
 public:
  StreamReader() : state_(XXH3_createState()) { XXH3_64bits_reset(state_); }
  ~StreamReader() {
    XXH3_freeState(state_);
    if (fd_ >= 0) ::close(fd_);
  }
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  std::string Open(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return std::string("cannot open: ") + std::strerror(errno);
    struct stat st;
    if (::fstat(fd_, &st) != 0) return std::string("cannot stat: ") + std::strerror(errno);
    size_ = static_cast<uint64_t>(st.st_size);
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    return "";
  }

  uint64_t size() const { return size_; }
  uint64_t offset() const { return base_ + pos_; }
  uint64_t remaining() const { return size_ - offset(); }
  const std::string& io_error() const { return io_error_; }

  // Makes `n` bytes available at Peek(); false at end of file (or on a read error).
  bool Need(size_t n) {
    if (end_ - pos_ >= n) return true;
    if (pos_ > 0) {
      std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
      end_ -= pos_;
      base_ += pos_;
      pos_ = 0;
    }
    if (buf_.size() < n) buf_.resize(std::max(n, kChunk));
    if (buf_.size() < kChunk) buf_.resize(kChunk);
    while (end_ < n) {
      ssize_t got = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) io_error_ = std::string("read error: ") + std::strerror(errno);
      if (got <= 0) return false;
      end_ += static_cast<size_t>(got);
    }
    return true;
  }
  // Up to `n` bytes already buffered or readable (for variable-length headers near the end).
  std::string_view PeekUpTo(size_t n) {
    Need(static_cast<size_t>(std::min<uint64_t>(n, remaining())));
    return std::string_view(buf_.data() + pos_, std::min(n, end_ - pos_));
  }
  const char* Peek() const { return buf_.data() + pos_; }
  void Consume(size_t n, bool hashed = true) {
    if (hashed) XXH3_64bits_update(state_, buf_.data() + pos_, n);
    pos_ += n;
  }
  uint64_t Digest() const { return XXH3_64bits_digest(state_); }

 private:
  static constexpr size_t kChunk = 1 << 20;
  int fd_ = -1;
  XXH3_state_t* state_;
  std::string buf_;
  size_t pos_ = 0;     // next byte in buf_
  size_t end_ = 0;     // bytes valid in buf_
  uint64_t base_ = 0;  // file offset of buf_[0]
  uint64_t size_ = 0;
  std::string io_error_;
};

class Reader {
 public:
  Reader(const std::string& path, RecordSink& sink, const ReadOptions& options)
      : path_(path), sink_(sink), options_(options) {}

  ReadResult Run() {
    if (std::string err = in_.Open(path_); !err.empty()) return Fail(0, err);
    result_.bytes = in_.size();
    if (!ReadHeader()) return result_;
    if (std::string err = sink_.OnHeader(result_.header); !err.empty()) {
      Fail(in_.offset(), err);
      return result_;
    }
    while (true) {
      uint64_t at = in_.offset();
      if (!in_.Need(1)) {
        Damage(at, "truncated: the file ends before its end marker");
        return result_;
      }
      uint8_t kind = static_cast<uint8_t>(*in_.Peek());
      if (kind == kBlockEnd) break;
      if (kind != kBlockRecords) {
        Damage(at, "unknown block kind " + std::to_string(kind));
        return result_;
      }
      if (!ReadBlock()) return result_;
    }
    ReadEnd();
    return result_;
  }

 private:
  ReadResult& Fail(uint64_t offset, const std::string& what) {
    result_.error = "snapshot " + path_ + ": offset " + std::to_string(offset) + ": " + what;
    return result_;
  }

  // Damage past the header: fatal unless the caller accepts a valid prefix.
  void Damage(uint64_t offset, const std::string& what) {
    std::string detail = what;
    if (!in_.io_error().empty()) detail += " (" + in_.io_error() + ")";
    Fail(offset, detail + "; " + std::to_string(result_.records) + " keys in " +
                     std::to_string(result_.blocks) + " valid blocks before it");
    if (options_.allow_partial) {
      result_.damage = result_.error;
      result_.error.clear();
    }
  }

  bool ReadHeader() {
    if (!in_.Need(kHeaderFixed)) {
      if (in_.size() >= sizeof(kSnapshotMagic) &&
          std::memcmp(in_.PeekUpTo(sizeof(kSnapshotMagic)).data(), kSnapshotMagic,
                      sizeof(kSnapshotMagic)) != 0) {
        Fail(0, "not a dkv snapshot (wrong magic)");
      } else {
        Fail(in_.size(), "truncated: the header needs " + std::to_string(kHeaderFixed) + " bytes");
      }
      return false;
    }
    if (std::memcmp(in_.Peek(), kSnapshotMagic, sizeof(kSnapshotMagic)) != 0) {
      Fail(0, "not a dkv snapshot (wrong magic)");
      return false;
    }
    Cursor fixed(in_.Peek() + sizeof(kSnapshotMagic), in_.Peek() + kHeaderFixed);
    uint16_t version = fixed.Fixed16();
    fixed.Fixed16();  // flags, none defined
    uint32_t body_len = fixed.Fixed32();
    if (version == 0 || version > kSnapshotFormatVersion) {
      Fail(8, "format version " + std::to_string(version) + " is not one this server reads (1-" +
                  std::to_string(kSnapshotFormatVersion) + ")");
      return false;
    }
    if (body_len > kMaxHeaderBody || body_len + 8ULL > in_.size() - kHeaderFixed) {
      Fail(12, "header length " + std::to_string(body_len) + " exceeds the file");
      return false;
    }
    size_t total = kHeaderFixed + body_len;
    if (!in_.Need(total + 8)) {
      Fail(in_.size(), "truncated inside the header");
      return false;
    }
    uint64_t want = DecodeFixed64(in_.Peek() + total);
    if (XXH3_64bits(in_.Peek(), total) != want) {
      Fail(total, "header checksum mismatch");
      return false;
    }
    SnapshotHeader& h = result_.header;
    h.format_version = version;
    Cursor c(in_.Peek() + kHeaderFixed, in_.Peek() + total);
    h.created_ms = static_cast<int64_t>(c.Fixed64());
    h.server_version = std::string(c.String());
    uint64_t ns_count = c.Varint();
    for (uint64_t i = 0; i < ns_count && c.ok(); ++i) {
      NamespaceSummary ns;
      uint64_t id = c.Varint();
      ns.name = std::string(c.String());
      ns.keys = c.Varint();
      if (id > UINT32_MAX || ids_.count(static_cast<uint32_t>(id))) {
        Fail(kHeaderFixed + c.position(), "bad or repeated namespace id " + std::to_string(id));
        return false;
      }
      ns.id = static_cast<uint32_t>(id);
      ids_[ns.id] = h.namespaces.size();
      h.namespaces.push_back(std::move(ns));
    }
    uint64_t types = c.Varint();
    for (uint64_t i = 0; i < types && c.ok(); ++i) h.content_types.emplace_back(c.String());
    uint64_t aux = c.Varint();
    for (uint64_t i = 0; i < aux && c.ok(); ++i) {
      std::string k(c.String());
      h.aux.emplace_back(std::move(k), std::string(c.String()));
    }
    if (!c.ok()) {
      Fail(kHeaderFixed + c.position(), "malformed header");
      return false;
    }
    counts_.assign(h.namespaces.size(), 0);
    in_.Consume(total);
    in_.Consume(8);
    return true;
  }

  bool ReadBlock() {
    uint64_t at = in_.offset();
    std::string_view head_bytes = in_.PeekUpTo(64);
    Cursor c(head_bytes);
    c.U8();
    uint64_t ns = c.Varint();
    uint64_t records = c.Varint();
    uint64_t raw_len = c.Varint();
    uint64_t stored_len = c.Varint();
    uint8_t codec = c.U8();
    if (!c.ok()) {
      Damage(at,
             head_bytes.size() < 64 ? "truncated inside a block header" : "malformed block header");
      return false;
    }
    size_t head_len = c.position();
    uint64_t left = in_.remaining() - head_len;
    if (stored_len > left || left - stored_len < 8) {
      Damage(at, "truncated or damaged: the block header claims " + std::to_string(stored_len) +
                     " bytes, " + std::to_string(left) + " are left in the file");
      return false;
    }
    if (!in_.Need(head_len + stored_len + 8)) {
      Damage(at, "truncated inside a block");
      return false;
    }
    std::string_view head(in_.Peek(), head_len);
    std::string_view payload(in_.Peek() + head_len, stored_len);
    uint64_t want = DecodeFixed64(in_.Peek() + head_len + stored_len);
    if (BlockChecksum(head, payload) != want) {
      Damage(at, "block checksum mismatch");
      return false;
    }
    auto ns_it = ids_.find(static_cast<uint32_t>(ns));
    if (ns > UINT32_MAX || ns_it == ids_.end()) {
      Damage(at, "block names namespace id " + std::to_string(ns) + ", absent from the header");
      return false;
    }
    // The blocks of one namespace are contiguous.
    if (have_last_key_ && last_ns_ != ns && finished_.count(static_cast<uint32_t>(ns))) {
      Damage(at, "block of namespace id " + std::to_string(ns) + " after another namespace's");
      return false;
    }
    if (have_last_key_ && last_ns_ != ns) finished_.insert(last_ns_);
    std::string_view raw = payload;
    if (codec == kCodecLz4) {
      if (raw_len > static_cast<uint64_t>(LZ4_MAX_INPUT_SIZE)) {
        Damage(at, "compressed block too large");
        return false;
      }
      if (scratch_.size() < raw_len) scratch_.resize(raw_len);
      int n = LZ4_decompress_safe(payload.data(), scratch_.data(), static_cast<int>(stored_len),
                                  static_cast<int>(raw_len));
      if (n < 0 || static_cast<uint64_t>(n) != raw_len) {
        Damage(at, "block does not decompress to its stated length");
        return false;
      }
      raw = std::string_view(scratch_.data(), raw_len);
    } else if (codec != kCodecNone || raw_len != stored_len) {
      Damage(at, "unknown block codec " + std::to_string(codec));
      return false;
    }
    uint64_t payload_at = at + head_len;
    if (!DecodeRecords(static_cast<uint32_t>(ns), records, raw, payload_at, codec == kCodecNone)) {
      return false;
    }
    counts_[ns_it->second] += records;
    in_.Consume(head_len + stored_len + 8);
    result_.blocks++;
    if (codec == kCodecLz4) result_.compressed_blocks++;
    return true;
  }

  bool DecodeRecords(uint32_t ns, uint64_t count, std::string_view raw, uint64_t payload_at,
                     bool plain) {
    Cursor c(raw);
    key_.clear();
    const SnapshotHeader& h = result_.header;
    for (uint64_t i = 0; i < count; ++i) {
      size_t rec_pos = c.position();
      auto where = [&](size_t pos) {
        // Uncompressed: the exact file offset. Compressed: the block's offset and the position
        // inside its decompressed bytes.
        return plain ? payload_at + pos : payload_at;
      };
      auto bad = [&](const std::string& what) {
        std::string detail = "record " + std::to_string(i) + " of the block: " + what;
        if (!plain)
          detail += " (at byte " + std::to_string(rec_pos) + " of the decompressed block)";
        Damage(where(rec_pos), detail);
        return false;
      };
      uint8_t flags = c.U8();
      uint8_t flags2 = (flags & kRecMore) ? c.U8() : 0;
      if (flags2 & ~(h.format_version >= 2 ? kRec2Known : kRec2KnownV1)) {
        return bad("unknown flags");
      }
      const auto kind = static_cast<engine::Kind>((flags2 & kRec2KindMask) >> kRec2KindShift);
      uint64_t shared = c.Varint();
      if (shared > key_.size()) return bad("key prefix longer than the previous key");
      key_.resize(shared);
      key_.append(c.String());
      // Keys of a namespace come in strictly increasing byte order (the writer walks the
      // tree): checked here, so that a repeated key is the file's damage, found at the same
      // offset by every reader (the server and dkv-check-snapshot), not a refusal of the
      // loader's alone.
      if (c.ok()) {
        if (have_last_key_ && last_ns_ == ns && std::string_view(key_) <= last_key_) {
          return bad(key_ == last_key_ ? "key repeated" : "key out of order");
        }
        last_key_ = key_;
        last_ns_ = ns;
        have_last_key_ = true;
      }
      SnapshotRecord rec;
      rec.ns = ns;
      rec.value = c.String();
      uint64_t version = c.Varint();
      // Times are deltas; a damaged (or forged) one must not overflow.
      int64_t created = 0, updated = 0, accessed = 0;
      if (__builtin_sub_overflow(h.created_ms, c.Signed(), &created)) {
        return bad("timestamp out of range");
      }
      updated = accessed = created;
      if (flags & kRecTimes) {
        if (__builtin_add_overflow(created, c.Signed(), &updated) ||
            __builtin_add_overflow(updated, c.Signed(), &accessed)) {
          return bad("timestamp out of range");
        }
      }
      if ((flags & kRecExpire) &&
          __builtin_add_overflow(h.created_ms, c.Signed(), &rec.expire_ms)) {
        return bad("expiry out of range");
      }
      uint64_t ctype = (flags & kRecContentType) ? c.Varint() : 0;
      fields_.clear();
      if (flags & kRecFields) {
        uint64_t n = c.Varint();
        if (n > c.remaining()) return bad("field count exceeds the block");
        for (uint64_t j = 0; j < n && c.ok(); ++j) {
          std::string name(c.String());
          fields_.emplace_back(std::move(name), std::string(c.String()));
        }
        rec.fields = &fields_;
      }
      uint8_t lfu = (flags2 & kRec2Lfu) ? c.U8() : engine::kLfuInitialValue;
      if (flags2 & kRec2Extension) c.String();  // reserved for later metadata; skipped
      if (!c.ok()) return bad("truncated or malformed");
      if (version > UINT32_MAX) return bad("version out of range");
      if (ctype > h.content_types.size()) return bad("content type index out of range");
      if (kind != engine::Kind::kString) {
        if (kind != engine::Kind::kHash && kind != engine::Kind::kSet &&
            kind != engine::Kind::kList && kind != engine::Kind::kZset &&
            kind != engine::Kind::kStream) {
          return bad("unknown container kind " + std::to_string(static_cast<int>(kind)));
        }
        if ((flags & kRecTypeMask) != 0 || (flags2 & kRec2Raw)) {
          return bad("a container record with string flags");
        }
        // Every reader (the loader, dkv-check-snapshot) checks the portable form here, through
        // the engine's own check; limits without bounds keep it packed (no table is built).
        container_.clear();
        if (!engine::Materialize(kind, rec.value, kUnbounded, &container_)) {
          return bad("damaged " + std::string(engine::KindName(kind)) + " value (key '" + key_ +
                     "', " + std::to_string(rec.value.size()) + " bytes)");
        }
        // Some portable forms always build a table (a hash whose fields have expiry times):
        // the check's table is freed here.
        engine::Encoding built = static_cast<engine::Encoding>(container_[0]);
        if (container_.size() == 1 + sizeof(engine::Dict*) &&
            (built == engine::Encoding::kHashTable || built == engine::Encoding::kSetTable)) {
          engine::Dict* dict = nullptr;
          std::memcpy(&dict, container_.data() + 1, sizeof(dict));
          delete dict;
        } else if (built == engine::Encoding::kListQuick ||
                   built == engine::Encoding::kZsetSkiplist || built == engine::Encoding::kStream) {
          DiscardStructure(kind);
        }
        // A huge container's copy is not kept for the next record.
        if (container_.capacity() > (1u << 20)) std::string().swap(container_);
      }
      rec.key = key_;
      rec.meta.version = static_cast<uint32_t>(version);
      rec.meta.created_ms = created;
      rec.meta.updated_ms = updated;
      rec.meta.accessed_ms = accessed;
      rec.meta.type = static_cast<engine::ValueType>(flags & kRecTypeMask);
      rec.meta.content_type = static_cast<uint8_t>(ctype);
      rec.meta.lfu = lfu;
      rec.meta.raw_encoding = flags2 & kRec2Raw;
      rec.meta.kind = kind;
      if (std::string err = sink_.OnRecord(rec); !err.empty()) {
        Fail(where(rec_pos), err);  // the sink's refusal is never "partial"
        return false;
      }
      result_.records++;
    }
    if (!c.at_end()) {
      Damage(payload_at, "block holds more bytes than its " + std::to_string(count) + " records");
      return false;
    }
    return true;
  }

  void ReadEnd() {
    uint64_t at = in_.offset();
    std::string_view bytes = in_.PeekUpTo(32);
    Cursor c(bytes);
    c.U8();
    uint64_t records = c.Varint();
    uint64_t blocks = c.Varint();
    if (!c.ok()) return Damage(at, "truncated end marker");
    size_t len = c.position();
    in_.Consume(len);
    if (!in_.Need(8)) return Damage(at, "truncated: the file checksum is missing");
    uint64_t want = DecodeFixed64(in_.Peek());
    if (records != result_.records || blocks != result_.blocks) {
      return Damage(at, "end marker counts " + std::to_string(records) + " keys in " +
                            std::to_string(blocks) + " blocks, the file holds " +
                            std::to_string(result_.records) + " in " +
                            std::to_string(result_.blocks));
    }
    if (in_.Digest() != want) return Damage(in_.offset(), "file checksum mismatch");
    in_.Consume(8, false);
    if (in_.remaining() != 0) {
      return Damage(in_.offset(), std::to_string(in_.remaining()) + " bytes after the end");
    }
    const auto& spaces = result_.header.namespaces;
    for (size_t i = 0; i < spaces.size(); ++i) {
      if (counts_[i] != spaces[i].keys) {
        return Damage(at, "namespace '" + spaces[i].name + "': the header counts " +
                              std::to_string(spaces[i].keys) + " keys, the blocks hold " +
                              std::to_string(counts_[i]));
      }
    }
  }

  const std::string& path_;
  RecordSink& sink_;
  const ReadOptions& options_;
  StreamReader in_;
  ReadResult result_;
  std::map<uint32_t, size_t> ids_;  // namespace id -> index in header.namespaces
  std::vector<uint64_t> counts_;    // records read per namespace
  std::string scratch_;
  std::string key_;
  // The last key read and its namespace (order check), and the namespaces whose blocks ended.
  std::string last_key_;
  uint32_t last_ns_ = 0;
  bool have_last_key_ = false;
  std::set<uint32_t> finished_;
  engine::UserFields fields_;
  // Limits that keep every container packed where its type allows (nothing is built).
  static constexpr engine::ContainerLimits kUnbounded = {
      .hash_max_entries = SIZE_MAX,
      .hash_max_value = SIZE_MAX,
      .set_max_intset_entries = SIZE_MAX,
      .set_max_entries = SIZE_MAX,
      .set_max_value = SIZE_MAX,
      .list_max_listpack_size = INT64_MAX,
      .list_compress_depth = 0,
      .zset_max_entries = SIZE_MAX,
      .zset_max_value = SIZE_MAX,
  };
  // A list or sorted set the check built as a structure anyway (a quicklist: a list's packed
  // form is bounded in bytes too, as Redis'): only the engine knows how to free it, so it is
  // handed to an entry of a scratch keyspace and deleted with it.
  void DiscardStructure(engine::Kind kind) {
    if (check_keyspace_ == nullptr) {
      check_keyspace_ = std::make_unique<engine::Keyspace>(&check_clock_, 1);
    }
    engine::Database& db = check_keyspace_->db(0);
    db.InsertContainer("check", kind, container_);
    db.Erase(std::string_view("check"));
    // A huge one was queued to be freed in slices: freed now (nothing else is queued while a
    // snapshot loads, and dkv-check-snapshot has no loop to do it).
    while (!engine::ReapContainers(SIZE_MAX)) {
    }
    container_.clear();
  }
  std::string container_;  // Materialize's output while checking (discarded)
  engine::SystemClock check_clock_;
  std::unique_ptr<engine::Keyspace> check_keyspace_;
};

// Applies records to a keyspace.
class KeyspaceLoader : public RecordSink {
 public:
  KeyspaceLoader(engine::Keyspace& keyspace, int max_namespaces, LoadStats* stats)
      : keyspace_(keyspace), max_namespaces_(max_namespaces), stats_(stats) {}

  std::string OnHeader(const SnapshotHeader& header) override {
    for (const NamespaceSummary& ns : header.namespaces) {
      int index = keyspace_.FindOrCreateNamespace(ns.name, max_namespaces_);
      if (index < 0) {
        return "namespace '" + ns.name + "' does not fit this server (databases " +
               std::to_string(keyspace_.numbered_count()) + ", max-namespaces " +
               std::to_string(max_namespaces_) + ")";
      }
      if (dbs_.size() <= ns.id) dbs_.resize(ns.id + 1, nullptr);
      dbs_[ns.id] = &keyspace_.db(index);
      names_[ns.id] = ns.name;
    }
    types_.push_back(0);
    for (const std::string& name : header.content_types) {
      auto index = keyspace_.content_types().Intern(name);
      if (!index) return "too many content types";
      types_.push_back(*index);
    }
    return "";
  }

  std::string OnRecord(const SnapshotRecord& r) override {
    if (r.expire_ms != 0 && r.expire_ms <= keyspace_.now_ms()) {
      stats_->keys_expired++;
      return "";
    }
    engine::Database& db = *dbs_[r.ns];
    if (db.FindRaw(r.key) != nullptr) {
      return "key '" + std::string(r.key) + "' appears twice in namespace '" + names_[r.ns] + "'";
    }
    engine::EntryMeta meta = r.meta;
    meta.content_type = types_[meta.content_type];
    engine::Entry* e = db.Restore(r.key, r.value, meta);
    if (e == nullptr) {  // the reader checked the value: only a bug gets here
      return "key '" + std::string(r.key) + "': its " + std::string(engine::KindName(meta.kind)) +
             " value does not load";
    }
    if (r.expire_ms != 0) db.SetExpire(e, r.expire_ms);
    if (r.fields != nullptr) db.SetFields(e, *r.fields);
    stats_->keys_loaded++;
    return "";
  }

 private:
  engine::Keyspace& keyspace_;
  int max_namespaces_;
  LoadStats* stats_;
  std::vector<engine::Database*> dbs_;  // by namespace id
  std::map<uint32_t, std::string> names_;
  std::vector<uint8_t> types_;  // file content type index -> keyspace index
};

}  // namespace

ReadResult ReadSnapshotFile(const std::string& path, RecordSink& sink, const ReadOptions& options) {
  return Reader(path, sink, options).Run();
}

ReadResult LoadSnapshotFile(const std::string& path, engine::Keyspace& keyspace, int max_namespaces,
                            const ReadOptions& options, LoadStats* stats) {
  LoadStats local;
  KeyspaceLoader loader(keyspace, max_namespaces, stats != nullptr ? stats : &local);
  return ReadSnapshotFile(path, loader, options);
}

}  // namespace dkv::persistence
