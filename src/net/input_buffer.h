// InputBuffer: the bytes a client connection has received and not yet parsed.
//
// Owned by one connection, touched only by the loop thread. The unparsed bytes are contiguous
// ([start, end) of one heap block) because the request parser takes them as one string_view and
// keeps views into them until the next parse.
//
// Why not a std::string: resize() zero-fills, so a client that announced a 512 MB bulk and sent
// one byte made the server write 512 MB (a stall of seconds, and RSS the client never paid for).
// Here memory grows only with what has arrived: the block is malloc'd/realloc'd, never
// zero-filled, and a request announced bigger than what is buffered gets at most as much new room
// as the bytes already buffered (at least one read chunk), so the block doubles while the bytes
// come and the capacity stays under twice what the client has sent. A 512 MB bulk costs about 15
// reallocations over its whole transfer; most of them move pages, not bytes.
#pragma once

#include <cstddef>
#include <string_view>

namespace dkv::server {

class InputBuffer {
 public:
  // Room asked for each read when no bigger request is pending.
  static constexpr size_t kReadChunk = 16 * 1024;
  // Capacity kept across requests once everything is parsed.
  static constexpr size_t kIdleKeep = 64 * 1024;

  InputBuffer() = default;
  InputBuffer(const InputBuffer&) = delete;
  InputBuffer& operator=(const InputBuffer&) = delete;
  ~InputBuffer();

  // Room for the next read, after the unparsed bytes. `expected_total` is the size the unparsed
  // bytes must reach to hold the request being received (the parser's ExpectedInputSize(), 0 if
  // unknown): the room grows towards it, by at most the bytes already buffered per call.
  // Moves the unparsed bytes to the front when the consumed prefix is large. Returns the room
  // and sets *room to its length (at least kReadChunk), or nullptr and 0 if allocation failed.
  char* PrepareRead(size_t expected_total, size_t* room);
  // `n` bytes were written at the pointer PrepareRead returned.
  void Commit(size_t n) { end_ += n; }

  std::string_view Unparsed() const { return {data_ + start_, end_ - start_}; }
  size_t unparsed_size() const { return end_ - start_; }
  bool empty() const { return start_ == end_; }
  size_t capacity() const { return capacity_; }
  void Consume(size_t n) { start_ += n; }
  // Drops every unparsed byte (after a protocol error).
  void Clear() { start_ = end_ = 0; }
  // When nothing is left to parse: rewinds, and gives back a large block.
  void ShrinkIfIdle();

 private:
  bool Reserve(size_t capacity);

  char* data_ = nullptr;
  size_t capacity_ = 0;
  size_t start_ = 0;  // first unparsed byte
  size_t end_ = 0;    // one past the last received byte
};

}  // namespace dkv::server
