#include "src/core/memory.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#if defined(DKV_WITH_JEMALLOC)
#include <jemalloc/jemalloc.h>
#elif defined(DKV_SANITIZE)
#include <sanitizer/allocator_interface.h>
#else
#include <malloc.h>
#endif

namespace dkv::server {
namespace {

size_t ReadRss() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

#if defined(DKV_WITH_JEMALLOC)
size_t Stat(const char* name) {
  size_t value = 0;
  size_t len = sizeof(value);
  mallctl(name, &value, &len, nullptr, 0);
  return value;
}
#endif

}  // namespace

MemoryAccountant::MemoryAccountant() {
#if defined(DKV_WITH_JEMALLOC)
  size_t len = sizeof(thread_allocated_);
  mallctl("thread.allocatedp", &thread_allocated_, &len, nullptr, 0);
  len = sizeof(thread_deallocated_);
  mallctl("thread.deallocatedp", &thread_deallocated_, &len, nullptr, 0);
#endif
  Refresh();
}

std::string AllocatorStatsText() {
  std::string out;
#if defined(DKV_WITH_JEMALLOC)
  malloc_stats_print(
      [](void* text, const char* part) { static_cast<std::string*>(text)->append(part); }, &out,
      nullptr);
#endif
  return out;
}

void PurgeAllocator() {
#if defined(DKV_WITH_JEMALLOC)
  char name[64];
  std::snprintf(name, sizeof(name), "arena.%u.purge", MALLCTL_ARENAS_ALL);
  mallctl(name, nullptr, nullptr, nullptr, 0);
#endif
}

const char* MemoryAccountant::AllocatorName() {
#if defined(DKV_WITH_JEMALLOC)
  return "jemalloc";
#elif defined(DKV_SANITIZE)
  return "sanitizer";
#else
  return "libc";
#endif
}

void MemoryAccountant::Refresh() {
#if defined(DKV_WITH_JEMALLOC)
  uint64_t epoch = 1;
  size_t len = sizeof(epoch);
  mallctl("epoch", &epoch, &len, &epoch, len);
  base_used_ = Stat("stats.allocated");
  figures_.active = Stat("stats.active");
  figures_.resident = Stat("stats.resident");
  if (thread_allocated_ != nullptr) {
    base_allocated_ = *thread_allocated_;
    base_deallocated_ = *thread_deallocated_;
  }
#elif defined(DKV_SANITIZE)
  base_used_ = __sanitizer_get_current_allocated_bytes();
  figures_.active = figures_.resident = __sanitizer_get_heap_size();
#else
  struct mallinfo2 mi = mallinfo2();
  base_used_ = mi.uordblks + mi.hblkhd;
  figures_.active = figures_.resident = mi.arena + mi.hblkhd;
#endif
  figures_.rss = ReadRss();
  figures_.peak = std::max(figures_.peak, base_used_);
}

size_t MemoryAccountant::Used() {
  size_t used = base_used_;
#if defined(DKV_WITH_JEMALLOC)
  if (thread_allocated_ != nullptr) {
    int64_t delta = static_cast<int64_t>(*thread_allocated_ - base_allocated_) -
                    static_cast<int64_t>(*thread_deallocated_ - base_deallocated_);
    used = delta < 0 && static_cast<size_t>(-delta) > used
               ? 0
               : static_cast<size_t>(static_cast<int64_t>(used) + delta);
  }
#elif defined(DKV_SANITIZE)
  used = __sanitizer_get_current_allocated_bytes();
#endif
  figures_.peak = std::max(figures_.peak, used);
  return used;
}

MemoryFigures MemoryAccountant::Figures() {
  Refresh();
  figures_.used = Used();
  return figures_;
}

}  // namespace dkv::server
