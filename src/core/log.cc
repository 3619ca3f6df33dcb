#include "src/core/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace dkv::server {
namespace {
LogLevel g_level = LogLevel::kNotice;
FILE* g_file = nullptr;
char g_role = 'M';
}  // namespace

void SetLogLevel(const std::string& level) {
  if (level == "debug")
    g_level = LogLevel::kDebug;
  else if (level == "verbose")
    g_level = LogLevel::kVerbose;
  else if (level == "notice")
    g_level = LogLevel::kNotice;
  else if (level == "warning")
    g_level = LogLevel::kWarning;
  else if (level == "nothing")
    g_level = LogLevel::kNothing;
}

void SetLogFile(const std::string& path) {
  if (path.empty()) return;
  if (FILE* f = std::fopen(path.c_str(), "a")) g_file = f;
}

void SetLogRole(char role) { g_role = role; }

void Log(LogLevel level, const char* format, ...) {
  if (level < g_level) return;
  static const char kMarks[] = {'.', '-', '*', '#'};
  char msg[2048];
  va_list ap;
  va_start(ap, format);
  std::vsnprintf(msg, sizeof(msg), format, ap);
  va_end(ap);
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  struct tm tm;
  localtime_r(&tv.tv_sec, &tm);
  char when[64];
  size_t off = std::strftime(when, sizeof(when), "%d %b %Y %H:%M:%S.", &tm);
  std::snprintf(when + off, sizeof(when) - off, "%03d", static_cast<int>(tv.tv_usec / 1000));
  FILE* out = g_file ? g_file : stderr;
  std::fprintf(out, "%d:%c %s %c %s\n", static_cast<int>(getpid()), g_role, when,
               kMarks[static_cast<int>(level) & 3], msg);
  std::fflush(out);
}

}  // namespace dkv::server
