#include "src/net/input_buffer.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace dkv::server {

InputBuffer::~InputBuffer() { std::free(data_); }

bool InputBuffer::Reserve(size_t capacity) {
  if (capacity <= capacity_) return true;
  void* grown = std::realloc(data_, capacity);  // not zero-filled: no page is touched
  if (grown == nullptr) return false;
  data_ = static_cast<char*>(grown);
  capacity_ = capacity;
  return true;
}

char* InputBuffer::PrepareRead(size_t expected_total, size_t* room) {
  // Move the unparsed tail to the front when the consumed prefix is large (or all of it).
  if (start_ > 0 && (start_ == end_ || start_ >= kReadChunk)) {
    std::memmove(data_, data_ + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  const size_t buffered = end_ - start_;
  size_t want = kReadChunk;
  if (expected_total > buffered) {
    // A big request on its way: grow towards it, but never by more than what has arrived, so
    // an announced length the client does not send costs nothing.
    want = std::max(want, std::min(expected_total - buffered, buffered));
  }
  if (capacity_ - end_ < want && !Reserve(end_ + want)) {
    *room = 0;
    return nullptr;
  }
  *room = capacity_ - end_;
  return data_ + end_;
}

void InputBuffer::ShrinkIfIdle() {
  if (start_ != end_) return;
  start_ = end_ = 0;
  if (capacity_ > kIdleKeep) {
    std::free(data_);
    data_ = nullptr;
    capacity_ = 0;
  }
}

}  // namespace dkv::server
