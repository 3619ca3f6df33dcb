// Reading an incremental file of the append-only log: a restartable parse over one buffer that
// holds whole commands. A command that ends past the bytes read is parsed again from its start
// once more bytes are there (only at buffer boundaries, so each byte is scanned about once); the
// buffer grows only when one command fills all of it, so its size follows the bytes in the file,
// never a length written in it. See aof_reader.h and docs/aof-format.md.
#include "persistence/aof_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace dkv::persistence {

namespace {

constexpr size_t kMaxAnnotation = 4096;  // bytes of an annotation line, '#' to '\n'
constexpr int kMaxDigits = 18;           // lengths below 10^18: no overflow, len + 2 included
constexpr int64_t kMaxArgs = (int64_t{1} << 31) - 1;

using CommandFn = std::function<bool(const std::vector<std::string_view>&, uint64_t)>;
using AnnotationFn = std::function<void(std::string_view)>;

std::string ShowByte(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  char buf[16];
  if (c == '\r') return "'\\r'";
  if (c == '\n') return "'\\n'";
  if (u >= 0x20 && u < 0x7f && c != '\'') {
    std::snprintf(buf, sizeof(buf), "'%c'", c);
  } else {
    std::snprintf(buf, sizeof(buf), "'\\x%02x'", u);
  }
  return buf;
}

class Reader {
 public:
  Reader(int fd, size_t chunk, const CommandFn& on_command, const AnnotationFn& on_annotation)
      : fd_(fd),
        cap_(chunk == 0 ? 1 : chunk),
        buf_(new char[cap_]),
        on_command_(on_command),
        on_annotation_(on_annotation) {}

  AofReadResult Run() {
    AofReadResult r;
    while (true) {
      Step s = ParseOne();
      if (s == Step::kDone) continue;
      r.valid_bytes = base_ + pos_;
      r.commands = commands_;
      r.buffer_bytes = cap_;
      if (s == Step::kDamaged) {
        r.status = AofReadResult::Status::kDamaged;
        r.error_offset = error_offset_;
        r.error = error_;
        return r;
      }
      if (s == Step::kStopped) {
        r.status = AofReadResult::Status::kStopped;
        r.error_offset = r.valid_bytes;
        r.error = "the command at offset " + std::to_string(r.valid_bytes) + " was refused";
        return r;
      }
      // kNeedMore
      if (eof_) {
        if (pos_ == end_) return r;  // kOk
        r.status = AofReadResult::Status::kTruncated;
        r.error_offset = r.valid_bytes;
        r.error = "the file ends inside the command at offset " + std::to_string(r.valid_bytes) +
                  " (" + std::to_string(end_ - pos_) + " bytes of it)";
        return r;
      }
      if (!Fill()) {
        r.status = AofReadResult::Status::kIoError;
        r.error_offset = base_ + end_;
        r.error = "read error at offset " + std::to_string(base_ + end_) + ": " + error_;
        return r;
      }
    }
  }

 private:
  enum class Step { kDone, kNeedMore, kDamaged, kStopped };

  Step Damaged(const char* at, const char* expected) {
    error_offset_ = base_ + static_cast<uint64_t>(at - buf_.get());
    error_ = "unexpected byte " + ShowByte(*at) + " at offset " + std::to_string(error_offset_) +
             ", expected " + expected;
    return Step::kDamaged;
  }

  Step DamagedWhy(const char* at, const std::string& why) {
    error_offset_ = base_ + static_cast<uint64_t>(at - buf_.get());
    error_ = why + " at offset " + std::to_string(error_offset_);
    return Step::kDamaged;
  }

  // `<digits>\r\n` at *p (below e): the number in *out and *p after the line end.
  Step Number(const char** p, const char* e, int64_t* out) {
    const char* q = *p;
    const char* start = q;
    int64_t v = 0;
    while (q < e && *q >= '0' && *q <= '9') {
      if (q - start == kMaxDigits) return DamagedWhy(start, "a length of more than 18 digits");
      v = v * 10 + (*q - '0');
      q++;
    }
    if (q == e) return Step::kNeedMore;
    if (q == start) return Damaged(q, "a digit");
    if (*q != '\r') return Damaged(q, "a digit or '\\r'");
    if (++q == e) return Step::kNeedMore;
    if (*q != '\n') return Damaged(q, "'\\n'");
    *p = q + 1;
    *out = v;
    return Step::kDone;
  }

  // The command or annotation at pos_: kDone (pos_ moves past it), kNeedMore (it ends past the
  // bytes read), kDamaged or kStopped.
  Step ParseOne() {
    char* const b = buf_.get();
    const char* p = b + pos_;
    const char* const e = b + end_;
    if (p == e) return Step::kNeedMore;
    if (*p == '#') {
      size_t avail = static_cast<size_t>(e - p);
      size_t scan = avail < kMaxAnnotation ? avail : kMaxAnnotation;
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', scan));
      if (nl == nullptr) {
        if (avail >= kMaxAnnotation) {
          return DamagedWhy(p, "an annotation line longer than 4096 bytes");
        }
        return Step::kNeedMore;
      }
      const char* text_end = (nl > p + 1 && nl[-1] == '\r') ? nl - 1 : nl;
      if (on_annotation_) on_annotation_(std::string_view(p + 1, text_end - (p + 1)));
      pos_ = static_cast<size_t>(nl + 1 - b);
      return Step::kDone;
    }
    if (*p != '*') return Damaged(p, "'*'");
    const char* q = p + 1;
    int64_t argc = 0;
    Step s = Number(&q, e, &argc);
    if (s != Step::kDone) return s;
    if (argc < 1 || argc > kMaxArgs) {
      return DamagedWhy(p, "an argument count of " + std::to_string(argc));
    }
    argv_.clear();
    for (int64_t i = 0; i < argc; i++) {
      if (q == e) return Step::kNeedMore;
      if (*q != '$') return Damaged(q, "'$'");
      q++;
      int64_t len = 0;
      s = Number(&q, e, &len);
      if (s != Step::kDone) return s;
      const uint64_t need = static_cast<uint64_t>(len) + 2;
      if (static_cast<uint64_t>(e - q) < need) return Step::kNeedMore;
      if (q[len] != '\r') return Damaged(q + len, "'\\r' after the argument's bytes");
      if (q[len + 1] != '\n') return Damaged(q + len + 1, "'\\n' after the argument's bytes");
      argv_.emplace_back(q, static_cast<size_t>(len));
      q += need;
    }
    commands_++;
    if (!on_command_(argv_, base_ + pos_)) return Step::kStopped;
    pos_ = static_cast<size_t>(q - b);
    return Step::kDone;
  }

  // Moves the unparsed bytes to the front, grows the buffer if they fill it, reads more.
  // false on a read error; sets eof_ at the end of the file.
  bool Fill() {
    if (pos_ > 0) {
      std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
      base_ += pos_;
      end_ -= pos_;
      pos_ = 0;
    }
    if (end_ == cap_) {
      // One command fills every byte read so far: double (bounded by twice the file's bytes).
      size_t cap = cap_ * 2;
      std::unique_ptr<char[]> bigger(new char[cap]);
      std::memcpy(bigger.get(), buf_.get(), end_);
      buf_ = std::move(bigger);
      cap_ = cap;
    }
    while (true) {
      ssize_t r = ::read(fd_, buf_.get() + end_, cap_ - end_);
      if (r < 0) {
        if (errno == EINTR) continue;
        error_ = std::strerror(errno);
        return false;
      }
      if (r == 0) eof_ = true;
      end_ += static_cast<size_t>(r);
      return true;
    }
  }

  int fd_;
  size_t cap_;
  std::unique_ptr<char[]> buf_;
  size_t pos_ = 0;     // the first byte not parsed (a command's or annotation's start)
  size_t end_ = 0;     // the end of the bytes read
  uint64_t base_ = 0;  // the file offset of buf_[0]
  bool eof_ = false;
  uint64_t commands_ = 0;
  uint64_t error_offset_ = 0;
  std::string error_;
  std::vector<std::string_view> argv_;
  const CommandFn& on_command_;
  const AnnotationFn& on_annotation_;
};

}  // namespace

AofReadResult ReadAofFd(int fd, size_t chunk_bytes, const CommandFn& on_command,
                        const AnnotationFn& on_annotation) {
  Reader reader(fd, chunk_bytes, on_command, on_annotation);
  return reader.Run();
}

AofReadResult ReadAofFile(const std::string& path, const CommandFn& on_command,
                          const AnnotationFn& on_annotation) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    AofReadResult r;
    r.status = AofReadResult::Status::kIoError;
    r.error = "can't open " + path + ": " + std::strerror(errno);
    return r;
  }
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  AofReadResult r = ReadAofFd(fd, kAofReadChunk, on_command, on_annotation);
  ::close(fd);
  return r;
}

}  // namespace dkv::persistence
