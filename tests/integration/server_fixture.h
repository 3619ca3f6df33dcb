// ServerProcess: starts a real dkv-server (the binary named by $DKV_SERVER) on a free loopback
// port with a temporary directory, waits until it answers PING, and stops it by PID.
#pragma once

#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace dkv::test {

class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> extra_args = {});
  ~ServerProcess();
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool Alive();
  // A new hiredis connection; the caller frees it.
  redisContext* Connect();
  // A raw TCP socket to the server, for malformed input.
  int RawSocket();
  // Sends SIGTERM and waits (bounded) for exit. Returns the exit status or -1.
  int Stop();

 private:
  int port_ = 0;
  pid_t pid_ = -1;
  std::string dir_;
};

int FreePort();

}  // namespace dkv::test
