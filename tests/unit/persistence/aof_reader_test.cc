// Reading the log's incremental files: whole files, a cut at every byte, damage with its offset,
// lengths larger than the file (no allocation from them), annotations, commands across reads.
#include "persistence/aof_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace dkv::persistence;
namespace fs = std::filesystem;
using Status = AofReadResult::Status;

namespace {

struct TempFile {
  fs::path path;
  TempFile() {
    char tmpl[] = "/tmp/dkv-aof-reader-test-XXXXXX";
    int fd = ::mkstemp(tmpl);
    ::close(fd);
    path = tmpl;
  }
  ~TempFile() { fs::remove(path); }
  void Write(std::string_view data) const {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
  }
};

std::string Cmd(const std::vector<std::string>& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const std::string& a : argv) {
    out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  }
  return out;
}

struct Collected {
  std::vector<std::vector<std::string>> commands;
  std::vector<uint64_t> offsets;
  std::vector<std::string> annotations;
  AofReadResult result;
};

// Reads `data` from a memfd, in reads of `chunk` bytes at first.
Collected ReadString(std::string_view data, size_t chunk = kAofReadChunk) {
  Collected c;
  int fd = ::memfd_create("aof-reader-test", 0);
  BOOST_REQUIRE(fd >= 0);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t w = ::write(fd, data.data() + off, data.size() - off);
    BOOST_REQUIRE(w > 0);
    off += static_cast<size_t>(w);
  }
  ::lseek(fd, 0, SEEK_SET);
  c.result = ReadAofFd(
      fd, chunk,
      [&](const std::vector<std::string_view>& argv, uint64_t offset) {
        c.commands.emplace_back(argv.begin(), argv.end());
        c.offsets.push_back(offset);
        return true;
      },
      [&](std::string_view a) { c.annotations.emplace_back(a); });
  ::close(fd);
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(aof_reader)

BOOST_AUTO_TEST_CASE(whole_file) {
  TempFile f;
  std::string data = Cmd({"SELECT", "0"}) + "#TS:1733650000\r\n" + Cmd({"SET", "k", "v"}) +
                     Cmd({"DEL", ""}) + "#x\n";
  f.Write(data);
  std::vector<std::vector<std::string>> seen;
  std::vector<std::string> notes;
  AofReadResult r = ReadAofFile(
      f.path.string(),
      [&](const std::vector<std::string_view>& argv, uint64_t) {
        seen.emplace_back(argv.begin(), argv.end());
        return true;
      },
      [&](std::string_view a) { notes.emplace_back(a); });
  BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kOk));
  BOOST_TEST(r.commands == 3u);
  BOOST_TEST(r.valid_bytes == data.size());
  BOOST_REQUIRE(seen.size() == 3u);
  BOOST_TEST(seen[1] == (std::vector<std::string>{"SET", "k", "v"}));
  BOOST_TEST(seen[2] == (std::vector<std::string>{"DEL", ""}));
  BOOST_TEST(notes == (std::vector<std::string>{"TS:1733650000", "x"}));
  // Without an annotation callback, annotations are skipped all the same.
  r = ReadAofFile(f.path.string(),
                  [](const std::vector<std::string_view>&, uint64_t) { return true; });
  BOOST_TEST(r.commands == 3u);
}

BOOST_AUTO_TEST_CASE(empty_and_missing) {
  Collected c = ReadString("");
  BOOST_TEST(static_cast<int>(c.result.status) == static_cast<int>(Status::kOk));
  BOOST_TEST(c.result.valid_bytes == 0u);
  AofReadResult r = ReadAofFile("/nonexistent/dir/x.aof", [](const std::vector<std::string_view>&,
                                                             uint64_t) { return true; });
  BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kIoError));
  BOOST_TEST(r.error.find("/nonexistent/dir/x.aof") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(truncated_at_every_byte) {
  const std::vector<std::string> parts = {
      Cmd({"SET", "key", "value"}),  "#TS:17\r\n", Cmd({"INCR", "n"}), Cmd({"X", ""}), "#y\n",
      Cmd({"LPUSH", "l", "a", "bb"})};
  std::string data;
  std::vector<size_t> ends;  // where whole commands and annotations end
  std::vector<size_t> commands_before;
  size_t commands = 0;
  for (const std::string& p : parts) {
    data += p;
    if (p[0] == '*') commands++;
    ends.push_back(data.size());
    commands_before.push_back(commands);
  }
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{7}, kAofReadChunk}) {
    for (size_t cut = 0; cut <= data.size(); cut++) {
      Collected c = ReadString(std::string_view(data).substr(0, cut), chunk);
      size_t valid = 0, n = 0;
      for (size_t i = 0; i < ends.size(); i++) {
        if (ends[i] <= cut) {
          valid = ends[i];
          n = commands_before[i];
        }
      }
      BOOST_TEST_INFO("chunk " << chunk << " cut " << cut);
      BOOST_TEST(static_cast<int>(c.result.status) ==
                 static_cast<int>(valid == cut ? Status::kOk : Status::kTruncated));
      BOOST_TEST_INFO("chunk " << chunk << " cut " << cut);
      BOOST_TEST(c.result.valid_bytes == valid);
      BOOST_TEST(c.result.commands == n);
      BOOST_TEST(c.commands.size() == n);
    }
  }
}

BOOST_AUTO_TEST_CASE(offsets_of_commands) {
  std::string a = Cmd({"SET", "a", "1"}), b = Cmd({"SET", "b", "2"});
  Collected c = ReadString(a + "#TS:1\r\n" + b, 5);
  BOOST_REQUIRE(c.offsets.size() == 2u);
  BOOST_TEST(c.offsets[0] == 0u);
  BOOST_TEST(c.offsets[1] == a.size() + 7);
}

BOOST_AUTO_TEST_CASE(damaged_middle) {
  std::string good = Cmd({"SET", "k", "v"});
  struct Case {
    std::string data;
    uint64_t offset;
    std::string message;
  };
  const std::vector<Case> cases = {
      {good + "x" + good, good.size(),
       "unexpected byte 'x' at offset " + std::to_string(good.size()) + ", expected '*'"},
      {good + "*2\r\n$3\r\nGET\r\n+k\r\n", good.size() + 13, "expected '$'"},
      {good + "*2\r\n$3\r\nGETX\r\n", good.size() + 11, "unexpected byte 'X'"},
      {good + "*2\r\n$3\r\nGET\rX", good.size() + 12, "expected '\\n' after"},
      {good + "*-1\r\n", good.size() + 1, "expected a digit"},
      {good + "*1x\r\n", good.size() + 2, "expected a digit or '\\r'"},
      {good + "*1\r\r", good.size() + 3, "unexpected byte '\\r'"},
      {good + "*0\r\n" + good, good.size(), "an argument count of 0 at offset"},
      {good + "*99999999999\r\n", good.size(), "an argument count of 99999999999"},
      {good + "*1\r\n$1234567890123456789\r\n", good.size() + 5, "more than 18 digits"},
      {good + "*1\r\n$\x01\r\n", good.size() + 5, "unexpected byte '\\x01'"},
      {good + "#" + std::string(5000, 'a') + "\n", good.size(), "annotation line longer"},
  };
  for (const Case& k : cases) {
    for (size_t chunk : {size_t{2}, kAofReadChunk}) {
      Collected c = ReadString(k.data, chunk);
      BOOST_TEST_INFO(k.message << " chunk " << chunk << ": " << c.result.error);
      BOOST_TEST(static_cast<int>(c.result.status) == static_cast<int>(Status::kDamaged));
      BOOST_TEST(c.result.error_offset == k.offset);
      BOOST_TEST(c.result.error.find(k.message) != std::string::npos);
      BOOST_TEST(c.result.valid_bytes == good.size());
      BOOST_TEST(c.commands.size() == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(stopped_by_the_callback) {
  std::string a = Cmd({"SET", "a", "1"});
  std::string data = a + Cmd({"BOGUS"}) + Cmd({"SET", "b", "2"});
  TempFile f;
  f.Write(data);
  int calls = 0;
  AofReadResult r =
      ReadAofFile(f.path.string(), [&](const std::vector<std::string_view>& argv, uint64_t) {
        calls++;
        return argv[0] != "BOGUS";
      });
  BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kStopped));
  BOOST_TEST(calls == 2);
  BOOST_TEST(r.commands == 2u);
  BOOST_TEST(r.valid_bytes == a.size());
  BOOST_TEST(r.error_offset == a.size());
}

BOOST_AUTO_TEST_CASE(hostile_lengths_do_not_allocate) {
  // Counts and lengths far past the file's end: truncated, and the buffer never grew past the
  // first chunk (the argv vector holds only the arguments that are there).
  for (const std::string& data :
       {std::string("*1000000000\r\n$1\r\na\r\n"), std::string("*1\r\n$1073741824\r\nabc"),
        std::string("*2\r\n$4000000000\r\nxyz"), std::string("*1\r\n$999999999999999999\r\n")}) {
    Collected c = ReadString(data);
    BOOST_TEST_INFO(data);
    BOOST_TEST(static_cast<int>(c.result.status) == static_cast<int>(Status::kTruncated));
    BOOST_TEST(c.result.valid_bytes == 0u);
    BOOST_TEST(c.result.buffer_bytes == kAofReadChunk);
  }
  // A 1 GiB length in a tiny file read in 4-byte chunks: the buffer grows with the bytes that
  // are there (to 32 bytes for 20), not with the length.
  Collected c = ReadString("*1\r\n$1073741824\r\nab", 4);
  BOOST_TEST(static_cast<int>(c.result.status) == static_cast<int>(Status::kTruncated));
  BOOST_TEST(c.result.buffer_bytes <= 32u);
}

BOOST_AUTO_TEST_CASE(command_across_reads_and_big_argument) {
  // Commands placed so that every 64 KiB boundary falls inside one, and a 1 MiB argument.
  std::string data;
  std::vector<std::string> expect;
  for (int i = 0; data.size() < 3 * kAofReadChunk; i++) {
    std::string v(static_cast<size_t>(1000 + i % 77), static_cast<char>('a' + i % 26));
    data += Cmd({"SET", "key" + std::to_string(i), v});
    expect.push_back(v);
  }
  std::string big(1 << 20, 'z');
  big[12345] = '\r';
  big[12346] = '\n';
  big[777777] = '*';
  data += Cmd({"SET", "big", big});
  expect.push_back(big);
  data += Cmd({"SET", "after", "1"});
  expect.push_back("1");
  TempFile f;
  f.Write(data);
  size_t i = 0;
  bool same = true;
  AofReadResult r =
      ReadAofFile(f.path.string(), [&](const std::vector<std::string_view>& argv, uint64_t) {
        same = same && i < expect.size() && argv.size() == 3 && argv[2] == expect[i];
        i++;
        return true;
      });
  BOOST_TEST(static_cast<int>(r.status) == static_cast<int>(Status::kOk));
  BOOST_TEST(same);
  BOOST_TEST(i == expect.size());
  BOOST_TEST(r.valid_bytes == data.size());
  // The buffer grew for the big command only: at most twice its size.
  BOOST_TEST(r.buffer_bytes <= 4u * (1u << 20));
  // The same cut inside the big argument: truncated at its command's start.
  Collected c = ReadString(std::string_view(data).substr(0, data.size() - 100000));
  BOOST_TEST(static_cast<int>(c.result.status) == static_cast<int>(Status::kTruncated));
  BOOST_TEST(c.result.valid_bytes ==
             data.size() - Cmd({"SET", "after", "1"}).size() - Cmd({"SET", "big", big}).size());
}

BOOST_AUTO_TEST_SUITE_END()
