// Geo family: GEOADD, GEODIST, GEOHASH, GEOPOS, GEOSEARCH, GEOSEARCHSTORE, GEORADIUS,
// GEORADIUSBYMEMBER and their _RO forms. A geospatial index is a sorted set whose scores are
// 52-bit geohashes (engine/geohash.h); the handlers turn coordinates into scores and back and
// use the sorted-set operations of engine/zset_ops.h for everything stored (GEOADD is ZADD,
// the STORE forms are engine::ZsetStore). Replies and errors are Redis 7.2's: distances with
// four decimals, coordinates in Redis' 17-decimal human form (bulk strings, RESP3 doubles).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/geohash.h"
#include "engine/numbers.h"
#include "engine/zset_ops.h"
#include "src/commands/args.h"
#include "src/commands/handlers.h"

namespace dkv::server {

namespace {

namespace geo = engine::geo;

constexpr std::string_view kBadUnit = "ERR unsupported unit provided. please use M, KM, FT, MI";
constexpr std::string_view kNoMember = "ERR could not decode requested zset member";

// A double argument (Redis' getDoubleFromObjectOrReply): `error` when it does not parse.
bool DoubleOrReply(CommandContext& ctx, std::string_view arg, double* out,
                   std::string_view error = errors::kNotFloat) {
  if (engine::ParseDouble(arg, out)) return true;
  ctx.reply.Error(error);
  return false;
}

// A longitude, latitude pair inside the limits.
bool PositionOrReply(CommandContext& ctx, std::string_view lon_arg, std::string_view lat_arg,
                     double* lon, double* lat) {
  if (!DoubleOrReply(ctx, lon_arg, lon) || !DoubleOrReply(ctx, lat_arg, lat)) return false;
  if (geo::ValidPosition(*lon, *lat)) return true;
  char buf[1024];
  std::snprintf(buf, sizeof(buf), "ERR invalid longitude,latitude pair %f,%f", *lon, *lat);
  ctx.reply.Error(buf);
  return false;
}

// A unit's size in meters; 0 (after replying) for an unknown unit.
double UnitOrReply(CommandContext& ctx, std::string_view unit) {
  if (EqualsIgnoreCase(unit, "m")) return 1;
  if (EqualsIgnoreCase(unit, "km")) return 1000;
  if (EqualsIgnoreCase(unit, "ft")) return 0.3048;
  if (EqualsIgnoreCase(unit, "mi")) return 1609.34;
  ctx.reply.Error(kBadUnit);
  return 0;
}

// "radius unit".
bool RadiusOrReply(CommandContext& ctx, Args argv, size_t at, geo::Shape* shape) {
  double r = 0;
  if (!DoubleOrReply(ctx, argv[at], &r, "ERR need numeric radius")) return false;
  if (r < 0) {
    ctx.reply.Error("ERR radius cannot be negative");
    return false;
  }
  shape->radius = r;
  shape->to_meters = UnitOrReply(ctx, argv[at + 1]);
  return shape->to_meters > 0;
}

// "width height unit".
bool BoxOrReply(CommandContext& ctx, Args argv, size_t at, geo::Shape* shape) {
  double w = 0, h = 0;
  if (!DoubleOrReply(ctx, argv[at], &w, "ERR need numeric width") ||
      !DoubleOrReply(ctx, argv[at + 1], &h, "ERR need numeric height")) {
    return false;
  }
  if (h < 0 || w < 0) {
    ctx.reply.Error("ERR height or width cannot be negative");
    return false;
  }
  shape->width = w;
  shape->height = h;
  shape->to_meters = UnitOrReply(ctx, argv[at + 2]);
  return shape->to_meters > 0;
}

// The position of a member; false when it is not in the index.
bool MemberPosition(const engine::Entry* e, std::string_view member, double* lon, double* lat) {
  double score = 0;
  if (!engine::ZsetScore(e, member, &score)) return false;
  geo::PositionOf(score, lon, lat);
  return true;
}

// A distance as Redis replies it: a bulk string with four decimals.
void ReplyDistance(CommandContext& ctx, double d) {
  char buf[512];
  int n = std::snprintf(buf, sizeof(buf), "%.4f", d);
  ctx.reply.Bulk(std::string_view(buf, n > 0 ? static_cast<size_t>(n) : 0));
}

// A coordinate: Redis' human long double form, a bulk string (RESP2) or a double (RESP3).
void ReplyCoordinate(CommandContext& ctx, double v) {
  std::string s = engine::FormatLongDouble(v);
  if (ctx.reply.protocol() >= 3) {
    ctx.reply.Raw("," + s + "\r\n");
  } else {
    ctx.reply.Bulk(s);
  }
}

struct Point {
  std::string member;
  double meters = 0;
  double score = 0;
  double lon = 0;
  double lat = 0;
};

// Appends the members of `cell` inside `shape` to *out, stopping at `limit` points (0: none).
void PointsInCell(const engine::Entry* e, geo::Cell cell, const geo::Shape& shape, size_t limit,
                  std::vector<Point>* out) {
  engine::ScoreRange range;
  geo::ScoreLimits(cell, &range.min, &range.max);
  range.max_exclusive = true;
  engine::ZsetRangeByScore(e, range, false, 0, -1, [&](std::string_view member, double score) {
    Point p;
    geo::PositionOf(score, &p.lon, &p.lat);
    if (geo::Within(shape, p.lon, p.lat, &p.meters)) {
      p.member.assign(member);
      p.score = score;
      out->push_back(std::move(p));
    }
    return !(limit != 0 && out->size() >= limit);
  });
}

// The points of the 9 search cells inside `shape`, each cell visited once (a huge radius makes
// neighbours coincide; like Redis, a neighbour equal to the one visited just before is skipped).
std::vector<Point> PointsInShape(const engine::Entry* e, const geo::Shape& shape, size_t limit) {
  std::array<geo::Cell, 9> cells = geo::SearchCells(shape);
  std::vector<Point> points;
  size_t last = 0;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].none()) continue;
    if (last != 0 && cells[i].bits == cells[last].bits && cells[i].step == cells[last].step) {
      continue;
    }
    if (limit != 0 && points.size() >= limit) break;
    PointsInCell(e, cells[i], shape, limit, &points);
    last = i;
  }
  return points;
}

enum SearchFlags : unsigned {
  kFromCoords = 1,   // GEORADIUS: key longitude latitude radius unit
  kFromMember = 2,   // GEORADIUSBYMEMBER: key member radius unit
  kNoStore = 4,      // the _RO forms
  kSearch = 8,       // GEOSEARCH: key FROMxxx BYxxx
  kSearchStore = 16  // GEOSEARCHSTORE: destination source FROMxxx BYxxx
};

// The search commands, one parser for all (Redis' georadiusGeneric): the source key is looked
// up first (WRONGTYPE before anything else), then the center and shape, then the options.
void GeoSearchGeneric(CommandContext& ctx, Args argv, size_t src, unsigned flags) {
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[src], engine::Kind::kZset, &wrong);
  if (wrong) return;

  std::string_view store_key;
  bool has_store = false;
  bool store_dist = false;
  size_t base = 0;
  geo::Shape shape;
  if (flags & kFromCoords) {
    base = 6;
    shape.kind = geo::Shape::kCircle;
    if (!PositionOrReply(ctx, argv[2], argv[3], &shape.lon, &shape.lat)) return;
    if (!RadiusOrReply(ctx, argv, 4, &shape)) return;
  } else if (flags & kFromMember) {
    base = 5;
    // Without the key the options are still parsed (for the reply's shape); nothing else is.
    if (e != nullptr) {
      shape.kind = geo::Shape::kCircle;
      if (!MemberPosition(e, argv[2], &shape.lon, &shape.lat)) return ctx.reply.Error(kNoMember);
      if (!RadiusOrReply(ctx, argv, 3, &shape)) return;
    }
  } else {
    base = 2;
    if (flags & kSearchStore) {
      base = 3;
      store_key = argv[1];
      has_store = true;
    }
  }

  bool withdist = false, withhash = false, withcoord = false, any = false;
  bool from_member = false, from_lonlat = false, by_radius = false, by_box = false;
  enum { kNone, kAsc, kDesc } sort = kNone;
  int64_t count = 0;
  const bool search = (flags & kSearch) != 0;
  const bool can_store = !(flags & kNoStore) && !search;
  size_t n = argv.size();
  for (size_t i = base; i < n; ++i) {
    std::string_view a = argv[i];
    size_t left = n - i - 1;  // arguments after this one
    if (EqualsIgnoreCase(a, "withdist")) {
      withdist = true;
    } else if (EqualsIgnoreCase(a, "withhash")) {
      withhash = true;
    } else if (EqualsIgnoreCase(a, "withcoord")) {
      withcoord = true;
    } else if (EqualsIgnoreCase(a, "any")) {
      any = true;
    } else if (EqualsIgnoreCase(a, "asc")) {
      sort = kAsc;
    } else if (EqualsIgnoreCase(a, "desc")) {
      sort = kDesc;
    } else if (EqualsIgnoreCase(a, "count") && left >= 1) {
      if (!Int64OrReply(ctx.reply, argv[i + 1], &count)) return;
      if (count <= 0) return ctx.reply.Error("ERR COUNT must be > 0");
      ++i;
    } else if (EqualsIgnoreCase(a, "store") && left >= 1 && can_store) {
      store_key = argv[++i];
      has_store = true;
      store_dist = false;
    } else if (EqualsIgnoreCase(a, "storedist") && left >= 1 && can_store) {
      store_key = argv[++i];
      has_store = true;
      store_dist = true;
    } else if (EqualsIgnoreCase(a, "storedist") && search && (flags & kSearchStore)) {
      store_dist = true;
    } else if (EqualsIgnoreCase(a, "frommember") && left >= 1 && search && !from_lonlat) {
      if (e != nullptr && !MemberPosition(e, argv[i + 1], &shape.lon, &shape.lat)) {
        return ctx.reply.Error(kNoMember);
      }
      from_member = true;
      ++i;
    } else if (EqualsIgnoreCase(a, "fromlonlat") && left >= 2 && search && !from_member) {
      if (!PositionOrReply(ctx, argv[i + 1], argv[i + 2], &shape.lon, &shape.lat)) return;
      from_lonlat = true;
      i += 2;
    } else if (EqualsIgnoreCase(a, "byradius") && left >= 2 && search && !by_box) {
      if (!RadiusOrReply(ctx, argv, i + 1, &shape)) return;
      shape.kind = geo::Shape::kCircle;
      by_radius = true;
      i += 2;
    } else if (EqualsIgnoreCase(a, "bybox") && left >= 3 && search && !by_radius) {
      if (!BoxOrReply(ctx, argv, i + 1, &shape)) return;
      shape.kind = geo::Shape::kBox;
      by_box = true;
      i += 3;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }

  if (has_store && (withdist || withhash || withcoord)) {
    return ctx.reply.Error(
        std::string("ERR ") +
        ((flags & kSearchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS") +
        " is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
  }
  if (search && !(from_member || from_lonlat)) {
    return ctx.reply.Error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " +
                           std::string(argv[0]));
  }
  if (search && !(by_radius || by_box)) {
    return ctx.reply.Error("ERR exactly one of BYRADIUS and BYBOX can be specified for " +
                           std::string(argv[0]));
  }
  if (any && count == 0) return ctx.reply.Error("ERR the ANY argument requires COUNT argument");

  if (e == nullptr) {
    if (!has_store) return ctx.reply.EmptyArray();
    bool existed = DestinationExisted(ctx, store_key);
    engine::ZsetStore(ctx.db(), store_key, {});
    NotifyStored(ctx, store_key, kNotifyZset, "", false, existed);
    return ctx.reply.Integer(0);
  }

  // COUNT means the nearest ones (unless ANY): sort ascending when no order was asked.
  if (count != 0 && sort == kNone && !any) sort = kAsc;

  std::vector<Point> points =
      PointsInShape(e, shape, any ? static_cast<size_t>(count) : static_cast<size_t>(0));
  if (points.empty() && !has_store) return ctx.reply.EmptyArray();

  size_t returned = points.size();
  if (count != 0 && static_cast<uint64_t>(count) < returned) returned = static_cast<size_t>(count);
  if (sort == kAsc) {
    std::stable_sort(points.begin(), points.end(),
                     [](const Point& x, const Point& y) { return x.meters < y.meters; });
  } else if (sort == kDesc) {
    std::stable_sort(points.begin(), points.end(),
                     [](const Point& x, const Point& y) { return x.meters > y.meters; });
  }

  if (!has_store) {
    size_t options = (withdist ? 1 : 0) + (withhash ? 1 : 0) + (withcoord ? 1 : 0);
    ctx.reply.ArrayHeader(returned);
    for (size_t i = 0; i < returned; ++i) {
      const Point& p = points[i];
      if (options != 0) ctx.reply.ArrayHeader(options + 1);
      ctx.reply.Bulk(p.member);
      if (withdist) ReplyDistance(ctx, p.meters / shape.to_meters);
      if (withhash) ctx.reply.Integer(static_cast<int64_t>(p.score));
      if (withcoord) {
        ctx.reply.ArrayHeader(2);
        ReplyCoordinate(ctx, p.lon);
        ReplyCoordinate(ctx, p.lat);
      }
    }
    return;
  }
  std::vector<engine::ScoredMember> members;
  members.reserve(returned);
  for (size_t i = 0; i < returned; ++i) {
    Point& p = points[i];
    members.push_back({std::move(p.member), store_dist ? p.meters / shape.to_meters : p.score});
  }
  bool existed = DestinationExisted(ctx, store_key);
  engine::ZsetStore(ctx.db(), store_key, members);
  NotifyStored(ctx, store_key, kNotifyZset, search ? "geosearchstore" : "georadiusstore",
               !members.empty(), existed);
  ctx.reply.Integer(static_cast<int64_t>(returned));
}

}  // namespace

// GEOADD key [NX | XX] [CH] longitude latitude member [...]: ZADD with the positions' scores.
void CmdGeoAdd(CommandContext& ctx, Args argv) {
  bool nx = false, xx = false, ch = false;
  size_t at = 2;
  for (; at < argv.size(); ++at) {
    if (EqualsIgnoreCase(argv[at], "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(argv[at], "xx")) {
      xx = true;
    } else if (EqualsIgnoreCase(argv[at], "ch")) {
      ch = true;
    } else {
      break;
    }
  }
  size_t rest = argv.size() - at;
  if (rest % 3 != 0 || rest == 0 || (nx && xx)) return ctx.reply.Error(errors::kSyntax);
  std::vector<std::pair<double, std::string_view>> pairs;
  pairs.reserve(rest / 3);
  for (size_t i = at; i < argv.size(); i += 3) {
    double lon = 0, lat = 0;
    if (!PositionOrReply(ctx, argv[i], argv[i + 1], &lon, &lat)) return;
    pairs.emplace_back(static_cast<double>(geo::ScoreOf(lon, lat)), argv[i + 2]);
  }
  bool wrong = false;
  LookupWrite(ctx, argv[1], engine::Kind::kZset, &wrong);
  if (wrong) return;
  engine::ZaddFlags flags;
  flags.nx = nx;
  flags.xx = xx;
  engine::ZaddResult r = engine::ZsetAdd(ctx.db(), argv[1], pairs, flags);
  // GEOADD is ZADD in Redis (its event too).
  if (r.changed > 0) ctx.Notify(kNotifyZset, "zadd", argv[1]);
  ctx.reply.Integer(static_cast<int64_t>(ch ? r.changed : r.added));
}

// GEODIST key member1 member2 [unit].
void CmdGeoDist(CommandContext& ctx, Args argv) {
  double to_meters = 1;
  if (argv.size() == 5) {
    to_meters = UnitOrReply(ctx, argv[4]);
    if (to_meters == 0) return;
  } else if (argv.size() > 5) {
    return ctx.reply.Error(errors::kSyntax);
  }
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kZset, &wrong);
  if (wrong) return;
  if (e == nullptr) return ctx.reply.Null();
  double lon1 = 0, lat1 = 0, lon2 = 0, lat2 = 0;
  if (!MemberPosition(e, argv[2], &lon1, &lat1) || !MemberPosition(e, argv[3], &lon2, &lat2)) {
    return ctx.reply.Null();
  }
  ReplyDistance(ctx, geo::Distance(lon1, lat1, lon2, lat2) / to_meters);
}

// GEOHASH key [member ...]: 11-character geohash strings, nil for a missing member.
void CmdGeoHash(CommandContext& ctx, Args argv) {
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kZset, &wrong);
  if (wrong) return;
  ctx.reply.ArrayHeader(argv.size() - 2);
  for (size_t i = 2; i < argv.size(); ++i) {
    double score = 0;
    if (e == nullptr || !engine::ZsetScore(e, argv[i], &score)) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(geo::HashString(score));
    }
  }
}

// GEOPOS key [member ...]: [longitude, latitude] pairs, a nil array for a missing member.
void CmdGeoPos(CommandContext& ctx, Args argv) {
  bool wrong = false;
  engine::Entry* e = LookupRead(ctx, argv[1], engine::Kind::kZset, &wrong);
  if (wrong) return;
  ctx.reply.ArrayHeader(argv.size() - 2);
  for (size_t i = 2; i < argv.size(); ++i) {
    double lon = 0, lat = 0;
    if (e == nullptr || !MemberPosition(e, argv[i], &lon, &lat)) {
      ctx.reply.NullArray();
    } else {
      ctx.reply.ArrayHeader(2);
      ReplyCoordinate(ctx, lon);
      ReplyCoordinate(ctx, lat);
    }
  }
}

void CmdGeoRadius(CommandContext& ctx, Args argv) { GeoSearchGeneric(ctx, argv, 1, kFromCoords); }
void CmdGeoRadiusRo(CommandContext& ctx, Args argv) {
  GeoSearchGeneric(ctx, argv, 1, kFromCoords | kNoStore);
}
void CmdGeoRadiusByMember(CommandContext& ctx, Args argv) {
  GeoSearchGeneric(ctx, argv, 1, kFromMember);
}
void CmdGeoRadiusByMemberRo(CommandContext& ctx, Args argv) {
  GeoSearchGeneric(ctx, argv, 1, kFromMember | kNoStore);
}
void CmdGeoSearch(CommandContext& ctx, Args argv) { GeoSearchGeneric(ctx, argv, 1, kSearch); }
void CmdGeoSearchStore(CommandContext& ctx, Args argv) {
  GeoSearchGeneric(ctx, argv, 2, kSearch | kSearchStore);
}

}  // namespace dkv::server
