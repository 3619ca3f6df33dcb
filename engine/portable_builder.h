// PortableBuilder: the portable form of a big container (engine/container.h) built over several
// calls, so that writing a 1,000,000-field hash's PostgreSQL row never holds the loop for the
// whole serialization. Each Step adds a bounded number of elements; the caller runs one Step per
// loop turn.
//
// The walk is valid only while the container does not change: the caller checks Unchanged(entry)
// (the same container object, version and size as at the start) before every Step and starts a
// new builder when it returns false. Reads between steps are fine: a table's resize in progress
// is finished first (in steps too), after which lookups no longer move buckets.
//
// Sliced: hashes and sets in the table encoding (their Dict). Any other container (a packed one,
// which is small by its limits, or a kind without a sliced walk) is serialized whole by the first
// Step. Owned by its caller; borrows nothing between calls (the entry is passed to each).
// Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/database.h"

namespace dkv::engine {

class PortableBuilder {
 public:
  // REQUIRES: `entry` is a live, warm container. The form starts after `headroom` zero bytes
  // (room for a header the caller writes in place, so the form is never copied to get one).
  explicit PortableBuilder(const Entry* entry, size_t headroom = 0);

  // Whether `entry` (the key's entry now) still holds the container this builder walks,
  // unchanged.
  bool Unchanged(const Entry* entry) const;
  // Adds up to about `budget` elements (or moves up to `budget` buckets of a resize). Returns
  // true when the portable form is complete. REQUIRES: Unchanged(entry).
  bool Step(const Entry* entry, size_t budget);
  // The headroom, then the portable form. REQUIRES: the last Step returned true.
  std::string Take() { return std::move(out_); }

  // Elements of `entry` above which a PostgreSQL row is built with a PortableBuilder.
  static constexpr size_t kSliceAbove = 32768;
  // Elements of the container (REQUIRES: a live, warm container).
  static size_t Elements(const Entry* entry);

 private:
  const void* object_;
  uint64_t version_;
  size_t size_;
  bool ttls_ = false;
  bool whole_ = false;
  bool started_ = false;
  size_t bucket_ = 0;
  size_t headroom_ = 0;
  std::string out_;
};

}  // namespace dkv::engine
