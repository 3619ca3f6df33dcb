// AofLog, the append-only log's writer thread: offsets, durable/synced under each appendfsync
// policy, a hand-over while a sync runs, file switches, write errors and Close.
#include "src/core/aof_log.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

using namespace dkv::server;

namespace {

// The loop's side in a test: the worker's wake is counted, and Pump waits for one.
struct Wakes {
  std::mutex mu;
  std::condition_variable cv;
  int count = 0;
  void Wake() {
    std::lock_guard<std::mutex> lock(mu);
    count++;
    cv.notify_all();
  }
  // Waits (bounded) for a wake after `seen`; returns the new count.
  int WaitAfter(int seen, int ms = 5000) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return count > seen; });
    return count;
  }
};

struct LogFixture {
  std::filesystem::path dir;
  Wakes wakes;
  AofLog log{[this] { wakes.Wake(); }};

  LogFixture() {
    char tmpl[] = "/tmp/dkv-aof-log-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~LogFixture() {
    log.Close();
    std::filesystem::remove_all(dir);
  }
  std::string Path(const std::string& name) const { return (dir / name).string(); }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // The loop's part until `pred` holds (OnWake after each wake), bounded by 5 s.
  template <typename Pred>
  bool PumpUntil(Pred pred) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int seen = 0;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > end) return false;
      seen = wakes.WaitAfter(seen, 50);
      log.OnWake();
      log.Flush();
    }
    return true;
  }
};

std::string Record(int i) {
  std::string v = "v" + std::to_string(i);
  return "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(aof_log, LogFixture)

BOOST_AUTO_TEST_CASE(offsets_and_always_durable_after_sync) {
  BOOST_TEST(log.Open(Path("a.aof"), AofFsync::kAlways) == "");
  BOOST_TEST(log.is_open());
  std::string all;
  for (int i = 0; i < 3; ++i) {
    all += Record(i);
    BOOST_TEST(log.Append(Record(i)) == all.size());
  }
  BOOST_TEST(log.appended() == all.size());
  BOOST_TEST(log.durable() == 0u);  // nothing handed over yet
  BOOST_TEST(log.figures().buffer_bytes == all.size());
  log.Flush();
  BOOST_TEST(PumpUntil([&] { return log.durable() == all.size(); }));
  BOOST_TEST(log.synced() == all.size());
  BOOST_TEST(log.written() == all.size());
  BOOST_TEST(Read(Path("a.aof")) == all);
  AofWriterFigures f = log.figures();
  BOOST_TEST(f.last_write_ok);
  BOOST_TEST(f.buffer_bytes == 0u);
  BOOST_TEST(f.current_file_bytes == all.size());
  BOOST_TEST(log.WritesRefused() == "");
}

BOOST_AUTO_TEST_CASE(everysec_replies_at_hand_over_sync_within_a_second) {
  BOOST_TEST(log.Open(Path("e.aof"), AofFsync::kEverysec) == "");
  log.Append(Record(1));
  log.Flush();
  // The loop write()s itself while the thread is idle: replies wait for that only.
  BOOST_TEST(log.durable() == log.appended());
  BOOST_TEST(log.written() == log.appended());
  BOOST_TEST(log.synced() == 0u);
  // The sync comes from the cron once a second has passed since the last one.
  BOOST_TEST(PumpUntil([&] {
    log.Cron(0);
    return log.synced() == log.appended();
  }));
  BOOST_TEST(Read(Path("e.aof")) == Record(1));
}

BOOST_AUTO_TEST_CASE(no_writes_but_never_syncs_until_close) {
  BOOST_TEST(log.Open(Path("n.aof"), AofFsync::kNo) == "");
  log.Append(Record(1));
  log.Flush();
  BOOST_TEST(PumpUntil([&] { return log.durable() == log.appended(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  log.Cron(0);
  log.OnWake();
  BOOST_TEST(log.synced() == 0u);
  BOOST_TEST(log.Close());
  BOOST_TEST(log.synced() == log.appended());  // the exit syncs whatever the policy
  BOOST_TEST(Read(Path("n.aof")) == Record(1));
}

BOOST_AUTO_TEST_CASE(hand_over_during_a_sync_goes_with_the_next_one) {
  BOOST_TEST(log.Open(Path("h.aof"), AofFsync::kAlways) == "");
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool held = false;
  bool release = false;
  log.TEST_set_before_sync([&] {
    std::unique_lock<std::mutex> lock(gate_mu);
    held = true;
    gate_cv.notify_all();
    gate_cv.wait(lock, [&] { return release; });
  });
  log.Append(Record(1));
  const uint64_t first = log.appended();
  log.Flush();
  {
    std::unique_lock<std::mutex> lock(gate_mu);
    BOOST_TEST(gate_cv.wait_for(lock, std::chrono::seconds(5), [&] { return held; }));
  }
  // The worker is inside the first sync: these wait in the loop's buffer.
  for (int i = 2; i <= 16; ++i) log.Append(Record(i));
  log.Flush();
  log.Flush();
  AofWriterFigures f = log.figures();
  BOOST_TEST(f.pending_fsync == 1u);
  BOOST_TEST(f.buffer_bytes == log.appended() - first);
  BOOST_TEST(log.durable() == 0u);
  log.TEST_set_before_sync(nullptr);
  {
    std::lock_guard<std::mutex> lock(gate_mu);
    release = true;
    gate_cv.notify_all();
  }
  // The first sync ends; OnWake hands the 15 records over, and one more sync covers them.
  BOOST_TEST(PumpUntil([&] { return log.durable() == log.appended(); }));
  std::string all;
  for (int i = 1; i <= 16; ++i) all += Record(i);
  BOOST_TEST(Read(Path("h.aof")) == all);
  BOOST_TEST(log.figures().buffer_bytes == 0u);
}

BOOST_AUTO_TEST_CASE(switch_keeps_every_byte_in_order_across_files) {
  BOOST_TEST(log.Open(Path("1.aof"), AofFsync::kEverysec) == "");
  std::string first, second, third;
  for (int i = 0; i < 5; ++i) {
    first += Record(i);
    log.Append(Record(i));
    if (i == 2) log.Flush();  // part handed over, part still buffered at the switch
  }
  BOOST_TEST(log.SwitchTo(Path("2.aof")) == "");
  for (int i = 5; i < 9; ++i) {
    second += Record(i);
    log.Append(Record(i));
  }
  log.Flush();
  BOOST_TEST(PumpUntil([&] { return log.written() == log.appended(); }));
  BOOST_TEST(log.SwitchTo(Path("3.aof")) == "");
  third = Record(100);
  log.Append(third);
  BOOST_TEST(log.figures().current_file_bytes == third.size());
  BOOST_TEST(log.Close());
  BOOST_TEST(Read(Path("1.aof")) == first);
  BOOST_TEST(Read(Path("2.aof")) == second);
  BOOST_TEST(Read(Path("3.aof")) == third);
  BOOST_TEST(log.synced() == first.size() + second.size() + third.size());
}

BOOST_AUTO_TEST_CASE(switch_undone_before_the_worker_took_it) {
  // A rewrite that fails after its switch switches back while the worker is still busy.
  BOOST_TEST(log.Open(Path("old.aof"), AofFsync::kAlways) == "");
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool held = false;
  bool release = false;
  log.TEST_set_before_sync([&] {
    std::unique_lock<std::mutex> lock(gate_mu);
    held = true;
    gate_cv.notify_all();
    gate_cv.wait(lock, [&] { return release; });
  });
  log.Append(Record(1));
  log.Flush();
  {
    std::unique_lock<std::mutex> lock(gate_mu);
    BOOST_TEST(gate_cv.wait_for(lock, std::chrono::seconds(5), [&] { return held; }));
  }
  log.Append(Record(2));  // buffered: belongs to old.aof
  BOOST_TEST(log.SwitchTo(Path("new.aof")) == "");
  BOOST_TEST(log.SwitchTo(Path("old.aof")) == "");  // undone: nothing appended in between
  log.Append(Record(3));
  BOOST_TEST(log.SwitchTo(Path("other.aof")) != "");  // a pending switch with appends since
  log.TEST_set_before_sync(nullptr);
  {
    std::lock_guard<std::mutex> lock(gate_mu);
    release = true;
    gate_cv.notify_all();
  }
  BOOST_TEST(PumpUntil([&] { return log.durable() == log.appended(); }));
  BOOST_TEST(log.Close());
  BOOST_TEST(Read(Path("old.aof")) == Record(1) + Record(2) + Record(3));
  BOOST_TEST(Read(Path("new.aof")) == "");
}

BOOST_AUTO_TEST_CASE(write_error_is_reported_and_retried_not_lost) {
  // A file size limit makes write() fail with EFBIG part way (SIGXFSZ ignored), as a full
  // disk would; raising it again lets the retry finish the file.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGXFSZ, &ignore, &old);
  struct rlimit saved {};
  getrlimit(RLIMIT_FSIZE, &saved);
  BOOST_TEST(log.Open(Path("full.aof"), AofFsync::kAlways) == "");
  std::string all;
  for (int i = 0; i < 200; ++i) all += Record(i);
  struct rlimit small = saved;
  small.rlim_cur = 1000;
  setrlimit(RLIMIT_FSIZE, &small);
  log.Append(all);
  log.Flush();
  // The loop sees the error at its OnWake (the figures at once).
  BOOST_TEST(PumpUntil([&] { return !log.WritesRefused().empty(); }));
  setrlimit(RLIMIT_FSIZE, &saved);
  AofWriterFigures f = log.figures();
  BOOST_TEST(f.last_write_error == std::string(std::strerror(EFBIG)));
  BOOST_TEST(log.WritesRefused() ==
             "MISCONF Errors writing to the AOF file: " + std::string(std::strerror(EFBIG)));
  BOOST_TEST(log.durable() < log.appended());  // replies held: nothing acknowledged
  BOOST_TEST(log.written() == 1000u);          // the part that fit
  // The cron retries once a second; then everything is in the file, in order, and synced.
  BOOST_TEST(PumpUntil([&] {
    log.Cron(0);
    return log.durable() == log.appended();
  }));
  BOOST_TEST(log.figures().last_write_ok);
  BOOST_TEST(log.WritesRefused() == "");
  BOOST_TEST(Read(Path("full.aof")) == all);
  sigaction(SIGXFSZ, &old, nullptr);
}

BOOST_AUTO_TEST_CASE(write_error_on_dev_full_is_reported) {
  BOOST_TEST(log.Open("/dev/full", AofFsync::kNo) == "");
  log.Append(Record(1));
  log.Flush();
  BOOST_TEST(PumpUntil([&] { return !log.figures().last_write_ok; }));
  BOOST_TEST(log.figures().last_write_error == std::string(std::strerror(ENOSPC)));
  BOOST_TEST(log.written() == 0u);
  BOOST_TEST(!log.Close());  // Close says the data did not make it
}

BOOST_AUTO_TEST_CASE(close_writes_and_syncs_everything) {
  BOOST_TEST(log.Open(Path("c.aof"), AofFsync::kEverysec) == "");
  std::string all;
  for (int i = 0; i < 100; ++i) {
    all += Record(i);
    log.Append(Record(i));
    if (i % 10 == 0) log.Flush();
  }
  BOOST_TEST(log.Close());
  BOOST_TEST(!log.is_open());
  BOOST_TEST(log.synced() == all.size());
  BOOST_TEST(log.durable() == all.size());
  BOOST_TEST(Read(Path("c.aof")) == all);
  // Reopening appends to the file; offsets go on.
  BOOST_TEST(log.Open(Path("c.aof"), AofFsync::kAlways) == "");
  BOOST_TEST(log.figures().current_file_bytes == all.size());
  log.Append(Record(7));
  BOOST_TEST(log.appended() == all.size() + Record(7).size());
  BOOST_TEST(log.Close());
  BOOST_TEST(Read(Path("c.aof")) == all + Record(7));
}

BOOST_AUTO_TEST_CASE(many_threads_of_hand_overs_under_always) {
  // A stress of hand-overs racing the worker (for TSan/ASan): every byte arrives in order.
  BOOST_TEST(log.Open(Path("s.aof"), AofFsync::kAlways) == "");
  std::string all;
  for (int i = 0; i < 2000; ++i) {
    all += Record(i);
    log.Append(Record(i));
    log.Flush();
    if (i % 7 == 0) log.OnWake();
  }
  BOOST_TEST(PumpUntil([&] { return log.durable() == log.appended(); }));
  BOOST_TEST(Read(Path("s.aof")) == all);
}

BOOST_AUTO_TEST_SUITE_END()
