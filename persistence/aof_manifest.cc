// The append-only log's manifest: parsing (Redis 7's line format, with its quoting of names),
// serializing, and the atomic write. See aof_manifest.h and docs/aof-format.md.
#include "persistence/aof_manifest.h"

#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "persistence/snapshot.h"

namespace dkv::persistence {

namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// Splits a line into words as Redis' sdssplitargs does: words separated by blanks; "double
// quoted" words with \n \r \t \a \b \xHH and \<c> escapes; 'single quoted' words with \' only.
// A closing quote must be followed by a blank or the end. Returns "" or why it cannot.
std::string SplitWords(std::string_view line, std::vector<std::string>* words) {
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    while (i < n && IsSpace(line[i])) i++;
    if (i == n) return "";
    std::string word;
    if (line[i] == '"') {
      i++;
      while (true) {
        if (i == n) return "unbalanced quotes";
        char c = line[i];
        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && HexValue(line[i + 2]) >= 0 &&
            HexValue(line[i + 3]) >= 0) {
          word.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 4;
        } else if (c == '\\' && i + 1 < n) {
          char e = line[i + 1];
          switch (e) {
            case 'n':
              word.push_back('\n');
              break;
            case 'r':
              word.push_back('\r');
              break;
            case 't':
              word.push_back('\t');
              break;
            case 'b':
              word.push_back('\b');
              break;
            case 'a':
              word.push_back('\a');
              break;
            default:
              word.push_back(e);
              break;
          }
          i += 2;
        } else if (c == '"') {
          i++;
          if (i < n && !IsSpace(line[i])) return "a closing quote must be followed by a blank";
          break;
        } else {
          word.push_back(c);
          i++;
        }
      }
    } else if (line[i] == '\'') {
      i++;
      while (true) {
        if (i == n) return "unbalanced quotes";
        char c = line[i];
        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
          word.push_back('\'');
          i += 2;
        } else if (c == '\'') {
          i++;
          if (i < n && !IsSpace(line[i])) return "a closing quote must be followed by a blank";
          break;
        } else {
          word.push_back(c);
          i++;
        }
      }
    } else {
      while (i < n && !IsSpace(line[i])) word.push_back(line[i++]);
    }
    words->push_back(std::move(word));
  }
}

// Whether a name needs quoting (as sdsneedsrepr), and the quoted form (as sdscatrepr).
bool NeedsQuoting(std::string_view s) {
  if (!s.empty() && s[0] == '\'') return true;  // would read as a single-quoted word
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '\\' || c == '"' || !std::isprint(u) || std::isspace(u)) return true;
  }
  return s.empty();
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (std::isprint(static_cast<unsigned char>(c))) {
          out.push_back(c);
        } else {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(c));
          out += buf;
        }
    }
  }
  out.push_back('"');
  return out;
}

// "" or why `name` cannot be a file of the log: a bare file name in the directory.
std::string CheckName(std::string_view name) {
  if (name.empty()) return "empty file name";
  if (name == "." || name == "..") return "file name '" + std::string(name) + "' is not a file";
  if (name.find('/') != std::string_view::npos) return "file can't be a path, just a file name";
  if (name.find('\n') != std::string_view::npos || name.find('\r') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos) {
    return "file name contains a line end or NUL";
  }
  return "";
}

std::string Errno(const char* what, const std::string& path) {
  return std::string(what) + " " + path + ": " + std::strerror(errno);
}

std::string WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t w = ::write(fd, data.data(), data.size());
    if (w < 0) {
      if (errno == EINTR) continue;
      return std::strerror(errno);
    }
    data.remove_prefix(static_cast<size_t>(w));
  }
  return "";
}

void AppendLine(std::string* out, const AofFileEntry& e) {
  *out += "file ";
  *out += NeedsQuoting(e.name) ? Quote(e.name) : e.name;
  *out += " seq ";
  *out += std::to_string(e.seq);
  *out += " type ";
  out->push_back(static_cast<char>(e.type));
  out->push_back('\n');
}

}  // namespace

int64_t AofManifest::last_base_seq() const {
  // History entries count too: a new base must not take the name of one about to be deleted.
  int64_t seq = base ? base->seq : 0;
  for (const AofFileEntry& h : history) {
    if (EndsWith(h.name, ".base.dkv")) seq = std::max(seq, h.seq);
  }
  return seq;
}

int64_t AofManifest::last_incr_seq() const {
  int64_t seq = incrs.empty() ? 0 : incrs.back().seq;
  for (const AofFileEntry& h : history) {
    if (EndsWith(h.name, ".incr.aof")) seq = std::max(seq, h.seq);
  }
  return seq;
}

std::string AofManifest::Parse(std::string_view text, AofManifest* out) {
  *out = AofManifest();
  if (text.empty()) return "empty manifest";
  size_t pos = 0;
  int linenum = 0;
  std::vector<std::string> words;
  while (pos < text.size()) {
    linenum++;
    size_t nl = text.find('\n', pos);
    std::string_view raw =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    auto fail = [&](const std::string& why) {
      std::string shown(raw.substr(0, 200));
      for (char& c : shown) {
        if (!std::isprint(static_cast<unsigned char>(c))) c = '?';
      }
      return "line " + std::to_string(linenum) + ": " + why + ": '" + shown + "'";
    };
    if (nl == std::string_view::npos) return fail("no line end (the file is cut short)");
    pos = nl + 1;
    if (!raw.empty() && raw[0] == '#') continue;  // a comment
    std::string_view line = raw;
    while (!line.empty() && IsSpace(line.front())) line.remove_prefix(1);
    while (!line.empty() && IsSpace(line.back())) line.remove_suffix(1);
    if (line.empty()) return fail("empty line");
    words.clear();
    std::string err = SplitWords(line, &words);
    if (!err.empty()) return fail(err);
    // At least file, seq and type, as key value pairs; more keys are ignored (forward
    // compatibility, as Redis).
    if (words.size() < 6 || words.size() % 2 != 0) {
      return fail("expected 'file <name> seq <n> type <b|h|i>'");
    }
    AofFileEntry entry;
    bool have_name = false, have_seq = false, have_type = false;
    for (size_t i = 0; i < words.size(); i += 2) {
      const std::string& key = words[i];
      const std::string& value = words[i + 1];
      if (strcasecmp(key.c_str(), "file") == 0) {
        err = CheckName(value);
        if (!err.empty()) return fail(err);
        entry.name = value;
        have_name = true;
      } else if (strcasecmp(key.c_str(), "seq") == 0) {
        int64_t seq = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seq);
        if (ec != std::errc() || end != value.data() + value.size() || seq <= 0) {
          return fail("bad sequence number '" + value + "'");
        }
        entry.seq = seq;
        have_seq = true;
      } else if (strcasecmp(key.c_str(), "type") == 0) {
        if (value.size() != 1 || (value[0] != 'b' && value[0] != 'h' && value[0] != 'i')) {
          return fail("unknown file type '" + value + "'");
        }
        entry.type = static_cast<AofFileEntry::Type>(value[0]);
        have_type = true;
      }
    }
    if (!have_name) return fail("no file name");
    if (!have_seq) return fail("no sequence number");
    if (!have_type) return fail("no file type");
    switch (entry.type) {
      case AofFileEntry::Type::kBase:
        if (out->base) return fail("a second base file");
        out->base = std::move(entry);
        break;
      case AofFileEntry::Type::kHistory:
        out->history.push_back(std::move(entry));
        break;
      case AofFileEntry::Type::kIncr:
        if (!out->incrs.empty() && entry.seq <= out->incrs.back().seq) {
          return fail("incremental sequence numbers must ascend");
        }
        out->incrs.push_back(std::move(entry));
        break;
    }
  }
  return "";
}

std::string AofManifest::Serialize() const {
  // Base first, then history, then the incremental files in order (as Redis writes it).
  std::string out;
  if (base) AppendLine(&out, *base);
  for (const AofFileEntry& e : history) AppendLine(&out, e);
  for (const AofFileEntry& e : incrs) AppendLine(&out, e);
  return out;
}

std::string AofManifestName(std::string_view fn) { return std::string(fn) + ".manifest"; }
std::string AofBaseName(std::string_view fn, int64_t seq) {
  return std::string(fn) + "." + std::to_string(seq) + ".base.dkv";
}
std::string AofIncrName(std::string_view fn, int64_t seq) {
  return std::string(fn) + "." + std::to_string(seq) + ".incr.aof";
}

std::string ReadAofManifest(const std::string& dir, std::string_view appendfilename,
                            AofManifest* out, bool* found) {
  *found = false;
  *out = AofManifest();
  const std::string path = dir + "/" + AofManifestName(appendfilename);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return "";
    return Errno("can't open the manifest", path);
  }
  std::string text;
  char buf[16384];
  while (true) {
    ssize_t r = ::read(fd, buf, sizeof(buf));
    if (r < 0) {
      if (errno == EINTR) continue;
      std::string err = Errno("can't read the manifest", path);
      ::close(fd);
      return err;
    }
    if (r == 0) break;
    text.append(buf, static_cast<size_t>(r));
  }
  ::close(fd);
  *found = true;
  std::string err = AofManifest::Parse(text, out);
  if (!err.empty()) return "bad manifest " + path + ", " + err;
  return "";
}

std::string WriteAofManifest(const std::string& dir, std::string_view appendfilename,
                             const AofManifest& manifest) {
  const std::string name = AofManifestName(appendfilename);
  const std::string path = dir + "/" + name;
  const std::string tmp = dir + "/temp-" + name;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("can't create", tmp);
  std::string err = WriteAll(fd, manifest.Serialize());
  if (!err.empty()) err = "can't write " + tmp + ": " + err;
  if (err.empty() && ::fsync(fd) != 0) err = Errno("fsync", tmp);
  if (::close(fd) != 0 && err.empty()) err = Errno("close", tmp);
  if (err.empty() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    err = Errno("can't rename the manifest over", path);
  }
  if (!err.empty()) {
    ::unlink(tmp.c_str());
    return err;
  }
  return FsyncDirectory(dir);
}

}  // namespace dkv::persistence
