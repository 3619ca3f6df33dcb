#include "src/config/config_rewrite.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

namespace dkv::server {
namespace {

// Whether a YAML document `v: <scalar>` gives back exactly `value`.
bool ReadsBack(const std::string& scalar, const std::string& value) {
  try {
    YAML::Node n = YAML::Load("v: " + scalar + "\n");
    const YAML::Node& v = n["v"];
    return v.IsScalar() && v.Tag() != "tag:yaml.org,2002:binary" && v.as<std::string>() == value;
  } catch (const YAML::Exception&) {
    return false;
  }
}

// A value as a YAML scalar: double-quoted with escapes when that reads back the same, else
// !!binary base64 (bytes that are not UTF-8, which a YAML text cannot hold).
std::string Scalar(const std::string& value) {
  YAML::Emitter e;
  e << YAML::DoubleQuoted << value;
  if (e.good()) {
    // Inside a double-quoted scalar '[' and '{' are plain characters, but the loader's bracket
    // depth check (kMaxConfigNesting) counts them: write them as escapes.
    std::string quoted;
    for (char c : std::string_view(e.c_str(), e.size())) {
      if (c == '[') {
        quoted += "\\x5b";
      } else if (c == '{') {
        quoted += "\\x7b";
      } else {
        quoted += c;
      }
    }
    if (ReadsBack(quoted, value)) return quoted;
  }
  YAML::Emitter b;
  b << YAML::Binary(reinterpret_cast<const unsigned char*>(value.data()), value.size());
  return std::string(b.c_str(), b.size());
}

std::string OptionLine(const ConfigParam& p, const Config& config) {
  return std::string(p.name) + ": " + Scalar(p.get(config)) + "\n";
}

// `users:` as a block list of maps; fields at their defaults are left out.
std::string UsersBlock(const Config& config) {
  if (config.users.empty()) return "users: []\n";
  std::string s = "users:\n";
  for (const UserConfig& u : config.users) {
    s += "  - name: " + Scalar(u.name) + "\n";
    if (!u.password.empty()) s += "    password: " + Scalar(u.password) + "\n";
    if (u.nopass) s += "    nopass: yes\n";
    if (!u.enabled) s += "    enabled: no\n";
    if (!u.namespaces.empty()) {
      s += "    namespaces: [";
      for (size_t i = 0; i < u.namespaces.size(); ++i) {
        s += (i ? ", " : "") + Scalar(u.namespaces[i]);
      }
      s += "]\n";
    }
    if (u.read_only) s += "    read-only: yes\n";
    if (!u.commands.empty()) s += "    commands: " + Scalar(u.commands) + "\n";
    if (!u.rules.empty()) s += "    rules: " + Scalar(u.rules) + "\n";
  }
  return s;
}

bool Indented(std::string_view line) {
  return !line.empty() && (line[0] == ' ' || line[0] == '\t');
}

// Blank or a comment only.
bool Filler(std::string_view line) {
  size_t i = line.find_first_not_of(" \t\r");
  return i == std::string_view::npos || line[i] == '#';
}

// The option or "users" a top-level line starts, or "" for other lines.
std::string EntryKey(std::string_view line) {
  if (line.empty() || Indented(line) || Filler(line)) return "";
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return "";
  std::string_view key = line.substr(0, colon);
  while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
  if (key.size() >= 2 && (key.front() == '"' || key.front() == '\'') && key.back() == key.front()) {
    key = key.substr(1, key.size() - 2);
  }
  if (key == "users") return "users";
  const ConfigParam* p = FindConfigParam(key);
  if (p == nullptr) return "";
  return std::string(p->alias_of.empty() ? p->name : p->alias_of);
}

// Replaces each entry of `old_text` in place (its first occurrence; later ones and alias names
// go), keeps every other line, and appends what the file did not name.
std::string Splice(const Config& config, std::string_view old_text) {
  std::vector<std::string_view> lines;
  for (size_t i = 0; i < old_text.size();) {
    size_t end = old_text.find('\n', i);
    if (end == std::string_view::npos) end = old_text.size();
    lines.push_back(old_text.substr(i, end - i));
    i = end + 1;
  }
  std::vector<std::string> written;
  auto was_written = [&](const std::string& key) {
    return std::find(written.begin(), written.end(), key) != written.end();
  };
  std::string out;
  for (size_t i = 0; i < lines.size();) {
    std::string key = EntryKey(lines[i]);
    if (key.empty()) {
      out.append(lines[i]).append("\n");
      ++i;
      continue;
    }
    // The entry goes on to its last indented line before the next top-level line (a value or
    // users: continued over lines); comments and blank lines after it stay.
    size_t last = i;
    for (size_t j = i + 1; j < lines.size(); ++j) {
      if (Indented(lines[j]) && !Filler(lines[j])) {
        last = j;
      } else if (!Filler(lines[j])) {
        break;
      }
    }
    if (!was_written(key)) {
      written.push_back(key);
      out += key == "users" ? UsersBlock(config) : OptionLine(*FindConfigParam(key), config);
    }
    i = last + 1;
  }
  bool header = false;
  auto append = [&](const std::string& text) {
    if (!header) {
      if (!out.empty()) out += "\n";
      out += "# Written by CONFIG REWRITE. Options are documented in conf/dkv.yaml.\n";
      header = true;
    }
    out += text;
  };
  for (const ConfigParam& p : ConfigParams()) {
    // Redis-only options at their default stay out of the file.
    if (p.compat && p.get(config) == p.compat_default) continue;
    if (p.alias_of.empty() && !was_written(std::string(p.name))) append(OptionLine(p, config));
  }
  if (!was_written("users")) append(UsersBlock(config));
  return out;
}

std::string Verify(const Config& config, const std::string& text) {
  Config loaded;
  if (std::string err = LoadConfigText(text, "(rewritten)", &loaded); !err.empty()) return err;
  std::string difference;
  if (!SameConfig(config, loaded, &difference)) {
    return "'" + difference + "' would not read back the same";
  }
  return "";
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

bool SameConfig(const Config& a, const Config& b, std::string* difference) {
  for (const ConfigParam& p : ConfigParams()) {
    if (p.get(a) != p.get(b)) {
      *difference = std::string(p.name);
      return false;
    }
  }
  if (a.users.size() != b.users.size()) {
    *difference = "users";
    return false;
  }
  for (size_t i = 0; i < a.users.size(); ++i) {
    const UserConfig& x = a.users[i];
    const UserConfig& y = b.users[i];
    if (x.name != y.name || x.password != y.password || x.nopass != y.nopass ||
        x.enabled != y.enabled || x.namespaces != y.namespaces || x.read_only != y.read_only ||
        x.commands != y.commands || x.rules != y.rules) {
      *difference = "users";
      return false;
    }
  }
  return true;
}

std::string RenderConfigFile(const Config& config, std::string_view old_text, std::string* out) {
  // In place first; a file laid out in a way the line splicing misreads (flow style, say) is
  // written afresh instead, without its comments.
  std::string text = Splice(config, old_text);
  if (!old_text.empty() && !Verify(config, text).empty()) text = Splice(config, "");
  if (std::string err = Verify(config, text); !err.empty()) return err;
  *out = std::move(text);
  return "";
}

std::string RewriteConfigFile(const Config& config, const std::string& path) {
  std::error_code ec;
  std::filesystem::path target = std::filesystem::canonical(path, ec);
  if (ec) target = path;  // gone since the start: written anew
  std::string old_text;
  struct stat st;
  mode_t mode = 0600;  // it may hold passwords
  if (::stat(target.c_str(), &st) == 0) {
    mode = st.st_mode & 07777;
    // A file over the loader's limit could not have been loaded: written afresh.
    std::ifstream f(target, std::ios::binary);
    old_text.resize(kMaxConfigBytes + 1);
    f.read(old_text.data(), static_cast<std::streamsize>(old_text.size()));
    old_text.resize(f.gcount() > 0 ? static_cast<size_t>(f.gcount()) : 0);
    if (old_text.size() > kMaxConfigBytes) old_text.clear();
  }
  std::string text;
  if (std::string err = RenderConfigFile(config, old_text, &text); !err.empty()) return err;

  std::string tmp = target.string() + ".rewrite.tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Errno("cannot create " + tmp);
  std::string err;
  if (::fchmod(fd, mode) != 0) err = Errno("cannot set the mode of " + tmp);
  for (size_t done = 0; err.empty() && done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = Errno("cannot write " + tmp);
    if (n > 0) done += static_cast<size_t>(n);
  }
  if (err.empty() && ::fsync(fd) != 0) err = Errno("cannot fsync " + tmp);
  if (::close(fd) != 0 && err.empty()) err = Errno("cannot close " + tmp);
  if (err.empty() && ::rename(tmp.c_str(), target.c_str()) != 0) {
    err = Errno("cannot rename " + tmp);
  }
  if (!err.empty()) {
    ::unlink(tmp.c_str());
    return err;
  }
  // The rename itself reaches the disk with the directory.
  std::string dir = target.parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return "";
}

}  // namespace dkv::server
