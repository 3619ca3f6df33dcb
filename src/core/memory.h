// MemoryAccountant: the server's memory use as the allocator sees it (Redis' used_memory).
//
// With jemalloc, Refresh() (once per loop iteration) advances jemalloc's statistics epoch and
// reads stats.allocated, active and resident; between refreshes, Used() adds the loop thread's
// own net allocations since, read from jemalloc's per-thread counters (two loads, no syscall), so
// eviction before each command sees memory that commands of the same loop iteration allocated.
// Sanitizer builds (no jemalloc) ask the sanitizer's allocator; other builds use mallinfo2.
// Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace dkv::server {

struct MemoryFigures {
  size_t used = 0;      // bytes allocated by the program
  size_t peak = 0;      // highest `used` seen
  size_t rss = 0;       // resident set size of the process
  size_t active = 0;    // allocator pages in active use (jemalloc stats.active)
  size_t resident = 0;  // allocator resident bytes (jemalloc stats.resident)
};

class MemoryAccountant {
 public:
  MemoryAccountant();
  // Re-reads the allocator's statistics and the RSS.
  void Refresh();
  // Current used bytes; cheap enough to call before every command.
  size_t Used();
  MemoryFigures Figures();
  static const char* AllocatorName();

 private:
  size_t base_used_ = 0;
  // Read in jemalloc builds only.
  [[maybe_unused]] uint64_t base_allocated_ = 0;
  [[maybe_unused]] uint64_t base_deallocated_ = 0;
  [[maybe_unused]] uint64_t* thread_allocated_ = nullptr;
  [[maybe_unused]] uint64_t* thread_deallocated_ = nullptr;
  MemoryFigures figures_;
};

// MEMORY MALLOC-STATS: jemalloc's statistics text, or "" for another allocator.
std::string AllocatorStatsText();
// MEMORY PURGE: asks jemalloc to return dirty pages to the system (nothing otherwise).
void PurgeAllocator();

}  // namespace dkv::server
