// The append-only log's manifest: Redis' line format both ways (quoted names too), bad manifests
// refused with the line, the next sequence numbers, and the atomic write.
#include "persistence/aof_manifest.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace dkv::persistence;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/dkv-aof-manifest-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    ::chmod(path.c_str(), 0755);
    fs::remove_all(path);
  }
};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

AofFileEntry Entry(std::string name, int64_t seq, AofFileEntry::Type type) {
  AofFileEntry e;
  e.name = std::move(name);
  e.seq = seq;
  e.type = type;
  return e;
}

std::string ParseError(std::string_view text) {
  AofManifest m;
  return AofManifest::Parse(text, &m);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(aof_manifest)

BOOST_AUTO_TEST_CASE(names) {
  BOOST_TEST(AofManifestName("appendonly.aof") == "appendonly.aof.manifest");
  BOOST_TEST(AofBaseName("appendonly.aof", 3) == "appendonly.aof.3.base.dkv");
  BOOST_TEST(AofIncrName("appendonly.aof", 12) == "appendonly.aof.12.incr.aof");
}

BOOST_AUTO_TEST_CASE(parse_redis_layout) {
  const std::string text =
      "file appendonly.aof.2.base.dkv seq 2 type b\n"
      "file appendonly.aof.1.incr.aof seq 1 type h\n"
      "file appendonly.aof.2.incr.aof seq 2 type h\n"
      "file appendonly.aof.3.incr.aof seq 3 type i\n"
      "file appendonly.aof.4.incr.aof seq 4 type i\n";
  AofManifest m;
  BOOST_TEST(AofManifest::Parse(text, &m) == "");
  BOOST_REQUIRE(m.base.has_value());
  BOOST_TEST(m.base->name == "appendonly.aof.2.base.dkv");
  BOOST_TEST(m.base->seq == 2);
  BOOST_TEST(m.history.size() == 2u);
  BOOST_REQUIRE(m.incrs.size() == 2u);
  BOOST_TEST(m.incrs[0].seq == 3);
  BOOST_TEST(m.incrs[1].name == "appendonly.aof.4.incr.aof");
  BOOST_TEST(m.last_base_seq() == 2);
  BOOST_TEST(m.last_incr_seq() == 4);
  BOOST_TEST(m.Serialize() == text);
}

BOOST_AUTO_TEST_CASE(round_trip_and_order) {
  AofManifest m;
  m.base = Entry("a.1.base.dkv", 1, AofFileEntry::Type::kBase);
  m.incrs.push_back(Entry("a.5.incr.aof", 5, AofFileEntry::Type::kIncr));
  m.incrs.push_back(Entry("a.6.incr.aof", 6, AofFileEntry::Type::kIncr));
  m.history.push_back(Entry("a.4.incr.aof", 4, AofFileEntry::Type::kHistory));
  std::string text = m.Serialize();
  // Base, history, then the incremental files (as Redis writes them).
  BOOST_TEST(text ==
             "file a.1.base.dkv seq 1 type b\nfile a.4.incr.aof seq 4 type h\n"
             "file a.5.incr.aof seq 5 type i\nfile a.6.incr.aof seq 6 type i\n");
  AofManifest back;
  BOOST_TEST(AofManifest::Parse(text, &back) == "");
  BOOST_TEST(back.Serialize() == text);
  BOOST_TEST(back.last_incr_seq() == 6);
}

BOOST_AUTO_TEST_CASE(quoted_names) {
  AofManifest m;
  m.base = Entry("my log.1.base.dkv", 1, AofFileEntry::Type::kBase);
  m.incrs.push_back(Entry("q\"uote\\d\t\x01.2.incr.aof", 2, AofFileEntry::Type::kIncr));
  std::string text = m.Serialize();
  BOOST_TEST(text ==
             "file \"my log.1.base.dkv\" seq 1 type b\n"
             "file \"q\\\"uote\\\\d\\t\\x01.2.incr.aof\" seq 2 type i\n");
  AofManifest back;
  BOOST_TEST(AofManifest::Parse(text, &back) == "");
  BOOST_TEST(back.base->name == "my log.1.base.dkv");
  BOOST_TEST(back.incrs[0].name == "q\"uote\\d\t\x01.2.incr.aof");
  // Single quotes, as sdssplitargs reads them.
  BOOST_TEST(AofManifest::Parse("file 'it\\'s.aof' seq 1 type i\n", &back) == "");
  BOOST_TEST(back.incrs[0].name == "it's.aof");
}

BOOST_AUTO_TEST_CASE(comments_unknown_keys_case_and_blanks) {
  AofManifest m;
  BOOST_TEST(AofManifest::Parse("# a comment\n  FILE x.aof SEQ 7 Type i extra 1  \r\n", &m) == "");
  BOOST_REQUIRE(m.incrs.size() == 1u);
  BOOST_TEST(m.incrs[0].name == "x.aof");
  BOOST_TEST(m.incrs[0].seq == 7);
  // Keys in any order.
  BOOST_TEST(AofManifest::Parse("type b seq 3 file y.dkv\n", &m) == "");
  BOOST_TEST(m.base->name == "y.dkv");
}

BOOST_AUTO_TEST_CASE(history_counts_for_next_seq) {
  AofManifest m;
  m.base = Entry("a.3.base.dkv", 3, AofFileEntry::Type::kBase);
  m.history.push_back(Entry("a.4.base.dkv", 4, AofFileEntry::Type::kHistory));
  m.history.push_back(Entry("a.9.incr.aof", 9, AofFileEntry::Type::kHistory));
  BOOST_TEST(m.last_base_seq() == 4);
  BOOST_TEST(m.last_incr_seq() == 9);
  AofManifest empty;
  BOOST_TEST(empty.last_base_seq() == 0);
  BOOST_TEST(empty.last_incr_seq() == 0);
}

BOOST_AUTO_TEST_CASE(bad_manifests_name_the_line) {
  const std::string good = "file a.1.base.dkv seq 1 type b\n";
  BOOST_TEST(ParseError("") == "empty manifest");
  auto starts = [](const std::string& err, const std::string& prefix) {
    BOOST_TEST_INFO(err);
    BOOST_TEST(err.rfind(prefix, 0) == 0u);
  };
  starts(ParseError(good + "file b.aof seq 2 type x\n"), "line 2: unknown file type 'x'");
  starts(ParseError(good + "file b.aof seq two type i\n"), "line 2: bad sequence number 'two'");
  starts(ParseError(good + "file b.aof seq 0 type i\n"), "line 2: bad sequence number '0'");
  starts(ParseError(good + "file b.aof seq -3 type i\n"), "line 2: bad sequence number");
  starts(ParseError(good + "file b.aof seq 99999999999999999999 type i\n"),
         "line 2: bad sequence number");
  starts(ParseError(good + "file b.aof seq 2\n"), "line 2: expected 'file <name> seq");
  starts(ParseError(good + "file b.aof seq 2 type\n"), "line 2: expected");
  starts(ParseError(good + "name b.aof seq 2 type i\n"), "line 2: no file name");
  starts(ParseError(good + "file b.aof sq 2 type i\n"), "line 2: no sequence number");
  starts(ParseError(good + "file b.aof seq 2 tipe i\n"), "line 2: no file type");
  starts(ParseError(good + "\n"), "line 2: empty line");
  starts(ParseError(good + "# c\nfile dir/b.aof seq 2 type i\n"), "line 3: file can't be a path");
  starts(ParseError(good + "file \"b\\n.aof\" seq 2 type i\n"), "line 2: file name contains");
  starts(ParseError(good + "file .. seq 2 type i\n"), "line 2: file name '..' is not a file");
  starts(ParseError(good + "file \"b.aof seq 2 type i\n"), "line 2: unbalanced quotes");
  starts(ParseError(good + "file \"b\"x seq 2 type i\n"), "line 2: a closing quote");
  starts(ParseError(good + "file a.2.base.dkv seq 2 type b\n"), "line 2: a second base file");
  starts(ParseError("file a.3.incr.aof seq 3 type i\nfile a.2.incr.aof seq 2 type i\n"),
         "line 2: incremental sequence numbers must ascend");
  starts(ParseError(good + "file b.aof seq 2 type i"), "line 2: no line end");
  // The text of the line is shown.
  BOOST_TEST(ParseError(good + "file b.aof seq 2 type x\n").find("'file b.aof seq 2 type x'") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(read_and_write) {
  TempDir dir;
  AofManifest m;
  bool found = true;
  BOOST_TEST(ReadAofManifest(dir.path, "appendonly.aof", &m, &found) == "");
  BOOST_TEST(!found);
  m.base = Entry(AofBaseName("appendonly.aof", 1), 1, AofFileEntry::Type::kBase);
  m.incrs.push_back(Entry(AofIncrName("appendonly.aof", 1), 1, AofFileEntry::Type::kIncr));
  BOOST_TEST(WriteAofManifest(dir.path, "appendonly.aof", m) == "");
  BOOST_TEST(Slurp(dir.path / "appendonly.aof.manifest") == m.Serialize());
  AofManifest back;
  BOOST_TEST(ReadAofManifest(dir.path, "appendonly.aof", &back, &found) == "");
  BOOST_TEST(found);
  BOOST_TEST(back.Serialize() == m.Serialize());
  // No temporary file is left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path)) {
    (void)e;
    files++;
  }
  BOOST_TEST(files == 1);
  // A damaged manifest: found, with the path and the line in the error.
  std::ofstream(dir.path / "appendonly.aof.manifest") << "file x seq 1 type b\nbogus\n";
  std::string err = ReadAofManifest(dir.path, "appendonly.aof", &back, &found);
  BOOST_TEST(found);
  BOOST_TEST(err.find("appendonly.aof.manifest") != std::string::npos);
  BOOST_TEST(err.find("line 2") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(failed_write_leaves_the_old_manifest) {
  TempDir dir;
  AofManifest m;
  m.incrs.push_back(Entry("a.1.incr.aof", 1, AofFileEntry::Type::kIncr));
  BOOST_REQUIRE(WriteAofManifest(dir.path, "a", m) == "");
  const std::string before = Slurp(dir.path / "a.manifest");
  AofManifest next = m;
  next.incrs.push_back(Entry("a.2.incr.aof", 2, AofFileEntry::Type::kIncr));
  // The temporary file cannot be created (a directory holds its name; this fails for root too).
  fs::create_directory(dir.path / "temp-a.manifest");
  std::string err = WriteAofManifest(dir.path, "a", next);
  BOOST_TEST(err.find("temp-a.manifest") != std::string::npos);
  BOOST_TEST(Slurp(dir.path / "a.manifest") == before);
  fs::remove(dir.path / "temp-a.manifest");
  // A directory where nothing can be written (permissions do not stop root: then skipped).
  if (::geteuid() != 0) {
    ::chmod(dir.path.c_str(), 0555);
    err = WriteAofManifest(dir.path, "a", next);
    ::chmod(dir.path.c_str(), 0755);
    BOOST_TEST(!err.empty());
    BOOST_TEST(Slurp(dir.path / "a.manifest") == before);
    BOOST_TEST(!fs::exists(dir.path / "temp-a.manifest"));
  }
  // A directory that is not there.
  BOOST_TEST(!WriteAofManifest((dir.path / "missing").string(), "a", next).empty());
  // And then the write succeeds.
  BOOST_TEST(WriteAofManifest(dir.path, "a", next) == "");
  BOOST_TEST(Slurp(dir.path / "a.manifest") == next.Serialize());
}

BOOST_AUTO_TEST_SUITE_END()
