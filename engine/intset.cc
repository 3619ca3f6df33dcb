#include "engine/intset.h"

#include <vector>

namespace dkv::engine::intset {

std::string Build(char tag, const int64_t* members, size_t n, size_t width) {
  std::string out(2 + n * width, '\0');
  out[0] = tag;
  out[1] = static_cast<char>(width);
  char* p = out.data() + 2;
  for (size_t i = 0; i < n; ++i, p += width) {
    int64_t x = members[i];
    if (width == 2) {
      auto y = static_cast<int16_t>(x);
      std::memcpy(p, &y, 2);
    } else if (width == 4) {
      auto y = static_cast<int32_t>(x);
      std::memcpy(p, &y, 4);
    } else {
      std::memcpy(p, &x, 8);
    }
  }
  return out;
}

std::string Insert(std::string_view v, int64_t x) {
  size_t n = Count(v);
  size_t pos = 0;
  Find(v, x, &pos);
  std::vector<int64_t> all;
  all.reserve(n + 1);
  for (size_t i = 0; i < n; ++i) {
    if (i == pos) all.push_back(x);
    all.push_back(At(v, i));
  }
  if (pos == n) all.push_back(x);
  size_t width = std::max(WidthOf(v), WidthFor(x));
  return Build(v[0], all.data(), all.size(), width);
}

std::string Remove(std::string_view v, size_t pos) {
  size_t w = WidthOf(v);
  std::string out(v);
  out.erase(2 + pos * w, w);
  return out;
}

bool Valid(std::string_view v) {
  if (v.size() < 2) return false;
  size_t w = static_cast<uint8_t>(v[1]);
  if (w != 2 && w != 4 && w != 8) return false;
  if ((v.size() - 2) % w != 0) return false;
  size_t n = Count(v);
  for (size_t i = 1; i < n; ++i) {
    if (At(v, i - 1) >= At(v, i)) return false;
  }
  return true;
}

}  // namespace dkv::engine::intset
