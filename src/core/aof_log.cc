#include "src/core/aof_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

// STUB (issue 23): a synchronous writer on the loop thread, so that the rest can be built and
// tested; the worker thread and group commit replace it.

namespace dkv::server {

AofFsync ParseAofFsync(std::string_view name) {
  if (name == "always") return AofFsync::kAlways;
  if (name == "no") return AofFsync::kNo;
  return AofFsync::kEverysec;
}

struct AofLog::Impl {
  std::function<void()> wake;
  int fd = -1;
  AofFsync policy = AofFsync::kEverysec;
  bool sync_paused = false;
  std::string buffer;
  uint64_t appended = 0;
  uint64_t written = 0;
  uint64_t synced = 0;
  AofWriterFigures figures;

  bool WriteAll() {
    size_t off = 0;
    while (off < buffer.size()) {
      ssize_t n = ::write(fd, buffer.data() + off, buffer.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        figures.last_write_ok = false;
        figures.last_write_error = std::strerror(errno);
        buffer.erase(0, off);
        return false;
      }
      off += static_cast<size_t>(n);
    }
    written += buffer.size();
    buffer.clear();
    figures.last_write_ok = true;
    figures.last_write_error.clear();
    return true;
  }
};

AofLog::AofLog(std::function<void()> wake) : impl_(new Impl) { impl_->wake = std::move(wake); }
AofLog::~AofLog() {
  Close();
  delete impl_;
}

std::string AofLog::Open(const std::string& path, AofFsync policy) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno);
  if (impl_->fd >= 0) ::close(impl_->fd);
  impl_->fd = fd;
  impl_->policy = policy;
  impl_->figures.current_file_bytes = static_cast<uint64_t>(::lseek(fd, 0, SEEK_END));
  return "";
}
bool AofLog::is_open() const { return impl_->fd >= 0; }
void AofLog::set_policy(AofFsync policy) { impl_->policy = policy; }
AofFsync AofLog::policy() const { return impl_->policy; }
void AofLog::set_sync_paused(bool paused) { impl_->sync_paused = paused; }

uint64_t AofLog::Append(std::string_view bytes) {
  impl_->buffer.append(bytes);
  impl_->appended += bytes.size();
  impl_->figures.current_file_bytes += bytes.size();
  return impl_->appended;
}
uint64_t AofLog::appended() const { return impl_->appended; }
uint64_t AofLog::durable() const {
  return impl_->policy == AofFsync::kAlways ? impl_->synced : impl_->written;
}
uint64_t AofLog::synced() const { return impl_->synced; }

void AofLog::Flush() {
  if (impl_->fd < 0 || impl_->buffer.empty()) return;
  if (!impl_->WriteAll()) return;
  if (impl_->policy == AofFsync::kAlways && !impl_->sync_paused) {
    if (::fdatasync(impl_->fd) == 0) impl_->synced = impl_->written;
  }
}
bool AofLog::OnWake() { return false; }
void AofLog::Cron(int64_t now_ms) {
  (void)now_ms;
  if (impl_->fd >= 0 && impl_->policy == AofFsync::kEverysec && !impl_->sync_paused &&
      ::fdatasync(impl_->fd) == 0) {
    impl_->synced = impl_->written;
  }
}

std::string AofLog::SwitchTo(const std::string& path) {
  Flush();
  if (impl_->fd >= 0) {
    ::fdatasync(impl_->fd);
    impl_->synced = impl_->written;
  }
  AofFsync policy = impl_->policy;
  std::string err = Open(path, policy);
  if (err.empty()) impl_->figures.current_file_bytes = 0;
  return err;
}

bool AofLog::Close() {
  if (impl_->fd < 0) return true;
  bool ok = impl_->WriteAll() && ::fdatasync(impl_->fd) == 0;
  if (ok) impl_->synced = impl_->written;
  ::close(impl_->fd);
  impl_->fd = -1;
  return ok;
}

AofWriterFigures AofLog::figures() const {
  AofWriterFigures f = impl_->figures;
  f.buffer_bytes = impl_->buffer.size();
  return f;
}

}  // namespace dkv::server
