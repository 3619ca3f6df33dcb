// notify-keyspace-events' text (src/config/notify_flags.h).
#include "src/config/notify_flags.h"

namespace dkv::server {

bool ParseNotifyFlags(std::string_view text, uint32_t* flags) {
  uint32_t bits = 0;
  for (char c : text) {
    switch (c) {
      case 'A':
        bits |= kNotifyAll;
        break;
      case 'g':
        bits |= kNotifyGeneric;
        break;
      case '$':
        bits |= kNotifyString;
        break;
      case 'l':
        bits |= kNotifyList;
        break;
      case 's':
        bits |= kNotifySet;
        break;
      case 'h':
        bits |= kNotifyHash;
        break;
      case 'z':
        bits |= kNotifyZset;
        break;
      case 'x':
        bits |= kNotifyExpired;
        break;
      case 'e':
        bits |= kNotifyEvicted;
        break;
      case 'K':
        bits |= kNotifyKeyspace;
        break;
      case 'E':
        bits |= kNotifyKeyevent;
        break;
      case 't':
        bits |= kNotifyStream;
        break;
      case 'm':
        bits |= kNotifyKeyMiss;
        break;
      case 'd':
        bits |= kNotifyModule;
        break;
      case 'n':
        bits |= kNotifyNew;
        break;
      default:
        return false;
    }
  }
  *flags = bits;
  return true;
}

std::string FormatNotifyFlags(uint32_t flags) {
  std::string out;
  if ((flags & kNotifyAll) == kNotifyAll) {
    out += 'A';
  } else {
    static constexpr struct {
      uint32_t bit;
      char letter;
    } kClasses[] = {{kNotifyGeneric, 'g'}, {kNotifyString, '$'},  {kNotifyList, 'l'},
                    {kNotifySet, 's'},     {kNotifyHash, 'h'},    {kNotifyZset, 'z'},
                    {kNotifyExpired, 'x'}, {kNotifyEvicted, 'e'}, {kNotifyStream, 't'},
                    {kNotifyModule, 'd'},  {kNotifyNew, 'n'}};
    for (const auto& c : kClasses) {
      if (flags & c.bit) out += c.letter;
    }
  }
  if (flags & kNotifyKeyspace) out += 'K';
  if (flags & kNotifyKeyevent) out += 'E';
  if (flags & kNotifyKeyMiss) out += 'm';
  return out;
}

}  // namespace dkv::server
