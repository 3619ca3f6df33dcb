// PostgresStatus: the PostgreSQL backend's counters, as INFO persistence and /metrics show
// them. Plain values, owned by the backend; its parts fill them in. Loop thread only.
#pragma once

#include <cstdint>
#include <string>

namespace dkv::persistence::postgres {

struct PostgresStatus {
  uint64_t batches_committed = 0;
  uint64_t keys_committed = 0;
  uint64_t rows_built_in_slices = 0;  // big containers' values built over several iterations
  uint64_t slice_restarts = 0;        // such builds started over (the key changed meanwhile)
  int64_t last_commit_ms = 0;         // wall clock of the last commit
  int64_t last_commit_latency_us = 0;
  uint64_t errors = 0;
  std::string last_error;
  uint64_t keys_loaded = 0;
  int64_t load_ms = 0;
  uint64_t fetches = 0;         // value reads sent (one per waiting command)
  uint64_t values_fetched = 0;  // values read back into memory
  uint64_t fetch_errors = 0;
};

}  // namespace dkv::persistence::postgres
