// dkv-check-aof [--fix] <manifest | directory | file>: verifies the append-only log (the base
// snapshot and every incremental file the manifest lists, or one file) and says per file "ok, N
// commands" or where it is cut short or damaged (like redis-check-aof). --fix cuts a truncated
// last incremental file at its last whole command; damage before the end is never "fixed".
// Exit 0 when everything is valid (after a fix), 1 when not, 2 on a usage error.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "persistence/aof_manifest.h"
#include "persistence/aof_reader.h"
#include "persistence/snapshot.h"

namespace {

using dkv::persistence::AofFileEntry;
using dkv::persistence::AofManifest;
using dkv::persistence::AofReadResult;

constexpr const char* kUsage =
    "Usage: dkv-check-aof [--fix] <manifest | directory | file>\n"
    "\n"
    "Verifies dkv's append-only log. Given the manifest (<appendfilename>.manifest) or the\n"
    "directory that holds it (appenddirname), checks the base file (a dkv snapshot: every\n"
    "checksum and record) and every incremental file the manifest lists, in order, and prints\n"
    "per file 'ok, N commands' or the offset where it is cut short or damaged. Given one file,\n"
    "checks that file alone (a snapshot when its name ends in .dkv, else an incremental file).\n"
    "\n"
    "  --fix    cut a truncated last incremental file at the end of its last whole command\n"
    "           (what a crash in the middle of a write leaves); no question is asked. Damage\n"
    "           before the end of a file is not fixed.\n"
    "  --help   this text\n"
    "\n"
    "Exit status: 0 when the log is valid (after --fix), 1 when not, 2 on a usage error.\n";

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A sink that only counts: the reader verifies.
class CountingSink : public dkv::persistence::RecordSink {
 public:
  std::string OnHeader(const dkv::persistence::SnapshotHeader&) override { return ""; }
  std::string OnRecord(const dkv::persistence::SnapshotRecord&) override { return ""; }
};

bool CheckBase(const std::string& path, const std::string& label) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    std::printf("%s (base): missing: %s\n", label.c_str(), std::strerror(errno));
    return false;
  }
  CountingSink sink;
  dkv::persistence::ReadResult r = dkv::persistence::ReadSnapshotFile(path, sink);
  if (!r.error.empty()) {
    std::printf("%s (base): damaged: %s\n", label.c_str(), r.error.c_str());
    return false;
  }
  std::printf("%s (base): ok, %llu keys, %llu bytes\n", label.c_str(),
              static_cast<unsigned long long>(r.records), static_cast<unsigned long long>(r.bytes));
  return true;
}

std::string Fix(const std::string& path, uint64_t valid_bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  std::string err;
  if (::ftruncate(fd, static_cast<off_t>(valid_bytes)) != 0) err = std::strerror(errno);
  if (err.empty() && ::fsync(fd) != 0) err = std::strerror(errno);
  ::close(fd);
  return err;
}

// Checks one incremental file; `last`: the last one of the log (the only one --fix may cut).
bool CheckIncr(const std::string& path, const std::string& label, bool last, bool fix) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    std::printf("%s (incremental): missing: %s\n", label.c_str(), std::strerror(errno));
    return false;
  }
  AofReadResult r = dkv::persistence::ReadAofFile(
      path, [](const std::vector<std::string_view>&, uint64_t) { return true; });
  const auto commands = static_cast<unsigned long long>(r.commands);
  const auto valid = static_cast<unsigned long long>(r.valid_bytes);
  const auto size = static_cast<unsigned long long>(st.st_size);
  switch (r.status) {
    case AofReadResult::Status::kOk:
    case AofReadResult::Status::kStopped:
      std::printf("%s (incremental): ok, %llu commands, %llu bytes\n", label.c_str(), commands,
                  size);
      return true;
    case AofReadResult::Status::kIoError:
      std::printf("%s (incremental): can't read: %s\n", label.c_str(), r.error.c_str());
      return false;
    case AofReadResult::Status::kDamaged:
      std::printf(
          "%s (incremental): damaged: %s; %llu whole commands before it (up to offset %llu of "
          "%llu bytes)\n",
          label.c_str(), r.error.c_str(), commands, valid, size);
      std::printf(
          "  damage is not fixed (not even with --fix): the commands after it would be lost; "
          "inspect the file\n");
      return false;
    case AofReadResult::Status::kTruncated:
      break;
  }
  std::printf(
      "%s (incremental): truncated: %s; %llu whole commands, up to offset %llu of %llu "
      "bytes\n",
      label.c_str(), r.error.c_str(), commands, valid, size);
  if (!last) {
    std::printf("  not the last file of the log: it can't be fixed by cutting it\n");
    return false;
  }
  if (!fix) {
    std::printf("  run with --fix to cut it at offset %llu (dropping %llu bytes)\n", valid,
                size - valid);
    return false;
  }
  std::string err = Fix(path, r.valid_bytes);
  if (!err.empty()) {
    std::printf("  --fix failed: can't truncate %s: %s\n", path.c_str(), err.c_str());
    return false;
  }
  std::printf("  fixed: cut %s from %llu to %llu bytes (dropped the incomplete command)\n",
              label.c_str(), size, valid);
  return true;
}

// The manifest's path for a directory: its one *.manifest file.
std::string FindManifest(const std::string& dir, std::string* err) {
  std::vector<std::string> found;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (EndsWith(name, ".manifest") && name.rfind("temp-", 0) != 0) found.push_back(name);
    }
    ::closedir(d);
  } else {
    *err = "can't read directory " + dir + ": " + std::strerror(errno);
    return "";
  }
  if (found.size() == 1) return dir + "/" + found[0];
  *err = found.empty() ? "no manifest (*.manifest) in " + dir
                       : "more than one manifest in " + dir + ": name the one to check";
  return "";
}

int CheckManifest(const std::string& manifest_path, bool fix) {
  std::string dir = ".", file = manifest_path;
  size_t slash = manifest_path.rfind('/');
  if (slash != std::string::npos) {
    dir = slash == 0 ? "/" : manifest_path.substr(0, slash);
    file = manifest_path.substr(slash + 1);
  }
  const std::string appendfilename = file.substr(0, file.size() - std::strlen(".manifest"));
  AofManifest manifest;
  bool found = false;
  std::string err = dkv::persistence::ReadAofManifest(dir, appendfilename, &manifest, &found);
  if (!found && err.empty()) err = "can't open the manifest " + manifest_path;
  if (!err.empty()) {
    std::printf("%s\n--- AOF MANIFEST ERROR ---\n", err.c_str());
    return 1;
  }
  std::printf(
      "Checking the append-only log of %s: %s%zu incremental files (%zu history files "
      "not checked)\n",
      manifest_path.c_str(), manifest.base ? "a base file, " : "no base file, ",
      manifest.incrs.size(), manifest.history.size());
  bool ok = true;
  if (manifest.base) ok = CheckBase(dir + "/" + manifest.base->name, manifest.base->name) && ok;
  for (size_t i = 0; i < manifest.incrs.size(); i++) {
    const AofFileEntry& e = manifest.incrs[i];
    ok = CheckIncr(dir + "/" + e.name, e.name, i + 1 == manifest.incrs.size(), fix) && ok;
  }
  std::fputs(ok ? "The append-only log is valid.\n" : "--- THE APPEND-ONLY LOG IS NOT VALID ---\n",
             stdout);
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  bool fix = false;
  std::string target;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a == "--fix") {
      fix = true;
    } else if (target.empty() && (a.empty() || a[0] != '-')) {
      target = a;
    } else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  if (target.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  struct stat st;
  if (::stat(target.c_str(), &st) != 0) {
    std::printf("can't open %s: %s\n", target.c_str(), std::strerror(errno));
    return 1;
  }
  if (S_ISDIR(st.st_mode)) {
    std::string err;
    while (target.size() > 1 && target.back() == '/') target.pop_back();
    std::string manifest = FindManifest(target, &err);
    if (manifest.empty()) {
      std::printf("%s\n", err.c_str());
      return 1;
    }
    return CheckManifest(manifest, fix);
  }
  if (EndsWith(target, ".manifest")) return CheckManifest(target, fix);
  if (EndsWith(target, ".dkv")) {
    if (fix) std::printf("--fix does not apply to a base file (a snapshot): checking only\n");
    return CheckBase(target, target) ? 0 : 1;
  }
  return CheckIncr(target, target, true, fix) ? 0 : 1;
}
