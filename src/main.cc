// dkv-server [config.yaml] [--option value ...]
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

#include "src/config/config.h"
#include "src/core/command_docs.h"
#include "src/core/log.h"
#include "src/core/version.h"
#include "src/net/server.h"
#include "src/security/acl.h"

int main(int argc, char** argv) {
  using namespace dkv::server;
  if (argc == 2 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-v") == 0)) {
    std::printf("dkv-server v=%s redis-compat=%s\n", kDkvVersion, kRedisCompatVersion);
    return 0;
  }
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::printf(
        "Usage: dkv-server [/path/to/dkv.yaml] [--option value ...]\n"
        "Options are those of conf/dkv.yaml (Redis' names): --port 6380 --bind 127.0.0.1 ...\n"
        "       echo -n 'password' | dkv-server --hash-password   (a hash for users: in the "
        "config)\n");
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "--hash-password") == 0) {
    // The password comes on standard input (one line), never on the command line.
    std::string password;
    if (!std::getline(std::cin, password) || password.empty()) {
      std::fprintf(stderr, "dkv-server --hash-password: give the password on standard input\n");
      return 1;
    }
    std::printf("%s\n", Acl::HashPassword(password).c_str());
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "--gen-security-docs") == 0) {
    std::fputs(SecurityDocsMarkdown().c_str(), stdout);
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "--gen-command-docs") == 0) {
    std::fputs(CommandDocsMarkdown().c_str(), stdout);
    return 0;
  }
  Config config;
  if (std::string err = ParseCommandLine(argc, argv, &config); !err.empty()) {
    std::fprintf(stderr, "dkv-server: %s\n", err.c_str());
    return 1;
  }
  SetLogLevel(config.loglevel);
  SetLogFile(config.logfile);
  std::error_code ec;
  std::filesystem::create_directories(config.dir, ec);
  if (chdir(config.dir.c_str()) != 0) {
    std::fprintf(stderr, "dkv-server: can't chdir to '%s': %s\n", config.dir.c_str(),
                 std::strerror(errno));
    return 1;
  }
  Server server(std::move(config));
  if (std::string err = server.Start(); !err.empty()) {
    Log(LogLevel::kWarning, "%s", err.c_str());
    return 1;
  }
  return server.Run();
}
