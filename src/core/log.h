// Leveled log in Redis' line format ("pid:M 26 Nov 2026 10:00:00.000 * message"), to standard
// error or to the configured log file. Loop thread only (or a forked child).
#pragma once

#include <string>

namespace dkv::server {

enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3, kNothing = 4 };

void SetLogLevel(const std::string& level);
void SetLogFile(const std::string& path);
// The role letter after the pid: 'M' for the server, 'C' for a child writing a snapshot.
void SetLogRole(char role);
void Log(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace dkv::server
