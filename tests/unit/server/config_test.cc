#include "src/config/config.h"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>

using namespace dkv::server;

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(memory_units) {
  int64_t v = 0;
  BOOST_TEST(ParseMemory("1kb", &v));
  BOOST_TEST(v == 1024);
  BOOST_TEST(ParseMemory("1K", &v));
  BOOST_TEST(v == 1000);
  BOOST_TEST(ParseMemory("2GB", &v));
  BOOST_TEST(v == 2LL * 1024 * 1024 * 1024);
  BOOST_TEST(!ParseMemory("lots", &v));
  BOOST_TEST(!ParseMemory("-1mb", &v));
}

BOOST_AUTO_TEST_CASE(yaml_file_then_flags) {
  std::string path = "/tmp/dkv_config_test_" + std::to_string(::getpid()) + ".yaml";
  {
    std::ofstream f(path);
    f << "port: 7001\nmaxmemory: 100mb\nmaxmemory-policy: allkeys-lru\n";
  }
  std::string a0 = "dkv-server", a2 = "--port", a3 = "7002";
  char* argv[] = {a0.data(), path.data(), a2.data(), a3.data()};
  Config c;
  BOOST_TEST(ParseCommandLine(4, argv, &c) == "");
  BOOST_TEST(c.port == 7002);
  BOOST_TEST(c.maxmemory == 100LL * 1024 * 1024);
  BOOST_TEST(c.maxmemory_policy == "allkeys-lru");
  std::remove(path.c_str());
}

BOOST_AUTO_TEST_CASE(bad_files_and_options_are_refused_with_reasons) {
  Config c;
  BOOST_TEST(LoadConfigFile("/nonexistent/dkv.yaml", &c).find("cannot load") != std::string::npos);
  std::string a0 = "dkv-server", a1 = "--nosuch", a2 = "1";
  char* argv[] = {a0.data(), a1.data(), a2.data()};
  BOOST_TEST(ParseCommandLine(3, argv, &c) == "unknown option '--nosuch'");
  std::string b1 = "--port", b2 = "70000";
  char* argv2[] = {a0.data(), b1.data(), b2.data()};
  BOOST_TEST(ParseCommandLine(3, argv2, &c).find("between 0 and 65535") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(shipped_config_loads_and_documents_every_option) {
  Config c;
  std::string path = std::string(DKV_SOURCE_DIR) + "/conf/dkv.yaml";
  BOOST_TEST(LoadConfigFile(path, &c) == "");
  BOOST_TEST(c.port == 6379);
  BOOST_TEST(c.bind == "127.0.0.1");
  std::ifstream f(path);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  for (const ConfigParam& p : ConfigParams()) {
    // Redis options that change nothing in dkv are listed in docs/configuration.md instead.
    if (p.compat) continue;
    BOOST_TEST_CONTEXT(p.name) {
      // An alias is documented beside the option it stands for.
      std::string name(p.alias_of.empty() ? p.name : p.alias_of);
      BOOST_TEST(text.find("\n" + name + ":") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(dbfilename_is_a_name_not_a_path) {
  Config c;
  for (std::string_view bad : {"../x", "/tmp/x", "sub/dump.dkv", "a\\b", "", ".", ".."}) {
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(FindConfigParam("dbfilename")->set(c, bad) ==
                 "dbfilename can't be a path, just a filename");
    }
  }
  BOOST_TEST(FindConfigParam("dbfilename")->set(c, "..dump.dkv") == "");
  BOOST_TEST(LoadConfigText("dbfilename: /tmp/x\n", "t.yaml", &c) ==
             "config file 't.yaml': option 'dbfilename': dbfilename can't be a path, just a "
             "filename");
  std::string a0 = "dkv-server", a1 = "--dbfilename", a2 = "../x";
  char* argv[] = {a0.data(), a1.data(), a2.data()};
  BOOST_TEST(ParseCommandLine(3, argv, &c) ==
             "option '--dbfilename': dbfilename can't be a path, just a filename");
}

BOOST_AUTO_TEST_SUITE_END()
