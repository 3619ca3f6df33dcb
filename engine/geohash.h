// Geohash arithmetic for the GEO commands (src/commands/geo_commands.cc), with Redis' exact
// semantics: a position is stored as the score of a sorted-set member, the 52-bit interleave of
// 26 bits of latitude (even bits) and 26 bits of longitude (odd bits) over latitude
// [-85.05112878, 85.05112878] and longitude [-180, 180]; it decodes to the center of its cell.
// A radius or box search visits the cell that holds the center at a step estimated from the
// radius plus its 8 neighbours, each a score range of the sorted set, and filters the points by
// the haversine distance on a sphere of Redis' earth radius. GEOHASH's 11-character strings
// re-encode the decoded position over the standard latitude range [-90, 90].
//
// Pure functions of their arguments (no state, no allocation but the GEOHASH string); any
// thread. The floating-point steps follow Redis' order of operations so that scores,
// coordinates and distances come out bit for bit the same.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace dkv::engine::geo {

inline constexpr double kLonMin = -180;
inline constexpr double kLonMax = 180;
inline constexpr double kLatMin = -85.05112878;
inline constexpr double kLatMax = 85.05112878;
inline constexpr int kMaxStep = 26;  // bits per coordinate of a stored score
inline constexpr double kEarthRadiusMeters = 6372797.560856;

struct Range {
  double min = 0;
  double max = 0;
};
// Redis' coordinate ranges for scores.
inline constexpr Range kLonRange{kLonMin, kLonMax};
inline constexpr Range kLatRange{kLatMin, kLatMax};

// A cell: `step` bits per coordinate, interleaved into the low 2*step bits. The zero cell (bits
// and step 0) is "no cell" in a search.
struct Cell {
  uint64_t bits = 0;
  int step = 0;
  bool none() const { return bits == 0 && step == 0; }
};

// The rectangle a cell covers.
struct Area {
  Range lon;
  Range lat;
};

// Whether (lon, lat) is a position GEOADD accepts: inside the ranges above, bounds included.
bool ValidPosition(double lon, double lat);

// The cell of (lon, lat) at `step` (1..32) over the given ranges. False (and *out untouched)
// when the position is outside Redis' limits or outside the ranges.
bool Encode(Range lon_range, Range lat_range, double lon, double lat, int step, Cell* out);
// The rectangle of `cell` over the given ranges.
Area Decode(Range lon_range, Range lat_range, Cell cell);

// GEOADD's score of a valid position: its 26-step cell, as an integer below 2^52 (at the upper
// bounds Redis' arithmetic carries one bit past it; so does this).
uint64_t ScoreOf(double lon, double lat);
// The position a score stands for: the center of its cell, clamped to the limits.
void PositionOf(double score, double* lon, double* lat);
// GEOHASH's string of a score: 11 base-32 characters over latitude [-90, 90], the last '0'.
std::string HashString(double score);

// The great-circle distance in meters (haversine on kEarthRadiusMeters), and its
// along-a-meridian special case.
double Distance(double lon1, double lat1, double lon2, double lat2);
double LatDistance(double lat1, double lat2);

// A search shape: a circle of `radius` or a `width` x `height` box centered on (lon, lat); the
// sizes are in the caller's unit, `to_meters` converts them.
struct Shape {
  enum Kind : uint8_t { kCircle, kBox } kind = kCircle;
  double lon = 0;
  double lat = 0;
  double radius = 0;
  double width = 0;
  double height = 0;
  double to_meters = 1;
};
// Whether the point (lon, lat) is inside `shape`; then *meters is its distance from the center.
bool Within(const Shape& shape, double lon, double lat, double* meters);

// The step (1..26) whose cells are about as large as a search of `meters` at latitude `lat`.
int EstimateSteps(double meters, double lat);

// The cells a search of `shape` visits, in Redis' order: the center's cell, then north, south,
// east, west, north-east, north-west, south-east, south-west; neighbours that cannot hold a
// point of the shape are none().
std::array<Cell, 9> SearchCells(const Shape& shape);
// The score interval [*min, *max) of the points inside `cell`.
void ScoreLimits(Cell cell, double* min, double* max);

}  // namespace dkv::engine::geo
