// Geohash arithmetic (engine/geohash.h). The formulas are the published geohash and haversine
// ones; the order of the floating-point operations is Redis' so results match it exactly.
#include "engine/geohash.h"

#include <cmath>
#include <numbers>

namespace dkv::engine::geo {
namespace {

constexpr double kDegToRad = std::numbers::pi / 180.0;
// Half the equator's length in Web Mercator meters: the size of a step-1 cell.
constexpr double kMercatorMax = 20037726.37;
constexpr char kBase32[] = "0123456789bcdefghjkmnpqrstuvwxyz";

double Rad(double deg) { return deg * kDegToRad; }
double Deg(double rad) { return rad / kDegToRad; }

// Spreads the 32 bits of v to the even bit positions of a 64-bit word.
uint64_t Spread(uint32_t v) {
  uint64_t out = 0;
  for (int i = 0; i < 32; ++i) out |= static_cast<uint64_t>((v >> i) & 1u) << (2 * i);
  return out;
}
// The inverse: gathers the even bits of w.
uint32_t Gather(uint64_t w) {
  uint32_t out = 0;
  for (int i = 0; i < 32; ++i) out |= static_cast<uint32_t>((w >> (2 * i)) & 1u) << i;
  return out;
}
// Latitude on the even bits, longitude on the odd ones.
uint64_t Interleave(uint32_t lat, uint32_t lon) { return Spread(lat) | (Spread(lon) << 1); }

// Moves a cell by (dlon, dlat) cells, wrapping around at the edges of the grid.
Cell Move(Cell c, int dlon, int dlat) {
  uint64_t mask = c.step >= 32 ? ~0ull : (1ull << c.step) - 1;
  uint64_t lat = (Gather(c.bits) + static_cast<uint64_t>(static_cast<int64_t>(dlat))) & mask;
  uint64_t lon = (Gather(c.bits >> 1) + static_cast<uint64_t>(static_cast<int64_t>(dlon))) & mask;
  return Cell{Interleave(static_cast<uint32_t>(lat), static_cast<uint32_t>(lon)), c.step};
}

// The cell at `step` of a 52-bit score.
Cell CellOfScore(double score) { return Cell{static_cast<uint64_t>(score), kMaxStep}; }

// The smallest box around the shape in degrees: min lon, min lat, max lon, max lat. The
// longitude span is the one at the latitude edge nearer the pole.
void BoundingBox(const Shape& s, double* min_lon, double* min_lat, double* max_lon,
                 double* max_lat) {
  double height = s.to_meters * (s.kind == Shape::kCircle ? s.radius : s.height / 2);
  double width = s.to_meters * (s.kind == Shape::kCircle ? s.radius : s.width / 2);
  const double lat_delta = Deg(height / kEarthRadiusMeters);
  const double lon_delta_top = Deg(width / kEarthRadiusMeters / std::cos(Rad(s.lat + lat_delta)));
  const double lon_delta_bottom =
      Deg(width / kEarthRadiusMeters / std::cos(Rad(s.lat - lat_delta)));
  bool south = s.lat < 0;
  *min_lon = south ? s.lon - lon_delta_bottom : s.lon - lon_delta_top;
  *max_lon = south ? s.lon + lon_delta_bottom : s.lon + lon_delta_top;
  *min_lat = s.lat - lat_delta;
  *max_lat = s.lat + lat_delta;
}

}  // namespace

bool ValidPosition(double lon, double lat) {
  return !(lon < kLonMin || lon > kLonMax || lat < kLatMin || lat > kLatMax);
}

bool Encode(Range lon_range, Range lat_range, double lon, double lat, int step, Cell* out) {
  if (step <= 0 || step > 32 || lat_range.min == lat_range.max || lon_range.min == lon_range.max) {
    return false;
  }
  if (!ValidPosition(lon, lat)) return false;
  if (lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max) {
    return false;
  }
  double lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min);
  double lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min);
  lat_offset *= static_cast<double>(1ull << step);
  lon_offset *= static_cast<double>(1ull << step);
  *out =
      Cell{Interleave(static_cast<uint32_t>(lat_offset), static_cast<uint32_t>(lon_offset)), step};
  return true;
}

Area Decode(Range lon_range, Range lat_range, Cell cell) {
  uint32_t ilat = Gather(cell.bits);
  uint32_t ilon = Gather(cell.bits >> 1);
  double lat_scale = lat_range.max - lat_range.min;
  double lon_scale = lon_range.max - lon_range.min;
  double cells = static_cast<double>(1ull << cell.step);
  Area a;
  a.lat.min = lat_range.min + (ilat * 1.0 / cells) * lat_scale;
  a.lat.max = lat_range.min + ((ilat + 1) * 1.0 / cells) * lat_scale;
  a.lon.min = lon_range.min + (ilon * 1.0 / cells) * lon_scale;
  a.lon.max = lon_range.min + ((ilon + 1) * 1.0 / cells) * lon_scale;
  return a;
}

uint64_t ScoreOf(double lon, double lat) {
  Cell c;
  if (!Encode(kLonRange, kLatRange, lon, lat, kMaxStep, &c)) return 0;
  return c.bits << (52 - 2 * kMaxStep);
}

void PositionOf(double score, double* lon, double* lat) {
  Area a = Decode(kLonRange, kLatRange, CellOfScore(score));
  double x = (a.lon.min + a.lon.max) / 2;
  double y = (a.lat.min + a.lat.max) / 2;
  *lon = x > kLonMax ? kLonMax : (x < kLonMin ? kLonMin : x);
  *lat = y > kLatMax ? kLatMax : (y < kLatMin ? kLatMin : y);
}

std::string HashString(double score) {
  double lon = 0, lat = 0;
  PositionOf(score, &lon, &lat);
  Cell c;
  if (!Encode(Range{-180, 180}, Range{-90, 90}, lon, lat, kMaxStep, &c)) c = Cell{};
  std::string out(11, '0');
  // 52 bits make 10 characters and 2 bits over; the 11th character is always '0'.
  for (int i = 0; i < 10; ++i) out[i] = kBase32[(c.bits >> (52 - (i + 1) * 5)) & 0x1f];
  return out;
}

double LatDistance(double lat1, double lat2) {
  return kEarthRadiusMeters * std::fabs(Rad(lat2) - Rad(lat1));
}

double Distance(double lon1, double lat1, double lon2, double lat2) {
  double lon1r = Rad(lon1);
  double lon2r = Rad(lon2);
  double v = std::sin((lon2r - lon1r) / 2);
  // Same meridian: the distance is along it.
  if (v == 0.0) return LatDistance(lat1, lat2);
  double lat1r = Rad(lat1);
  double lat2r = Rad(lat2);
  double u = std::sin((lat2r - lat1r) / 2);
  double a = u * u + std::cos(lat1r) * std::cos(lat2r) * v * v;
  return 2.0 * kEarthRadiusMeters * std::asin(std::sqrt(a));
}

bool Within(const Shape& s, double lon, double lat, double* meters) {
  if (s.kind == Shape::kCircle) {
    *meters = Distance(s.lon, s.lat, lon, lat);
    return !(*meters > s.radius * s.to_meters);
  }
  // The box: first the cheap north-south test, then east-west at the point's latitude.
  double width = s.width * s.to_meters;
  double height = s.height * s.to_meters;
  if (LatDistance(lat, s.lat) > height / 2) return false;
  if (Distance(lon, lat, s.lon, lat) > width / 2) return false;
  *meters = Distance(s.lon, s.lat, lon, lat);
  return true;
}

int EstimateSteps(double meters, double lat) {
  if (meters == 0) return kMaxStep;
  int step = 1;
  // Bounded: each turn doubles `meters` (a positive finite value reaches the limit in about
  // 1100 turns; infinity skips the loop). NaN never gets here (the arguments are parsed).
  while (meters < kMercatorMax) {
    meters *= 2;
    ++step;
  }
  step -= 2;  // so that the 3x3 cells cover the range in most cases
  // Cells narrow towards the poles.
  if (lat > 66 || lat < -66) {
    --step;
    if (lat > 80 || lat < -80) --step;
  }
  if (step < 1) step = 1;
  if (step > kMaxStep) step = kMaxStep;
  return step;
}

std::array<Cell, 9> SearchCells(const Shape& s) {
  double min_lon, min_lat, max_lon, max_lat;
  BoundingBox(s, &min_lon, &min_lat, &max_lon, &max_lat);
  double meters = s.kind == Shape::kCircle
                      ? s.radius
                      : std::sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2));
  meters *= s.to_meters;
  int steps = EstimateSteps(meters, s.lat);

  Cell center;
  Encode(kLonRange, kLatRange, s.lon, s.lat, steps, &center);
  // When a neighbour does not reach the edge of the bounding box, the cells are too small:
  // one step coarser.
  bool coarser = Decode(kLonRange, kLatRange, Move(center, 0, 1)).lat.max < max_lat ||
                 Decode(kLonRange, kLatRange, Move(center, 0, -1)).lat.min > min_lat ||
                 Decode(kLonRange, kLatRange, Move(center, 1, 0)).lon.max < max_lon ||
                 Decode(kLonRange, kLatRange, Move(center, -1, 0)).lon.min > min_lon;
  if (steps > 1 && coarser) {
    --steps;
    Encode(kLonRange, kLatRange, s.lon, s.lat, steps, &center);
  }
  Area area = Decode(kLonRange, kLatRange, center);
  std::array<Cell, 9> cells = {center,
                               Move(center, 0, 1),
                               Move(center, 0, -1),
                               Move(center, 1, 0),
                               Move(center, -1, 0),
                               Move(center, 1, 1),
                               Move(center, -1, 1),
                               Move(center, 1, -1),
                               Move(center, -1, -1)};
  enum { kN = 1, kS, kE, kW, kNE, kNW, kSE, kSW };
  // Drop the neighbours beyond an edge of the box that the center's cell already passes.
  if (steps >= 2) {
    if (area.lat.min < min_lat) cells[kS] = cells[kSW] = cells[kSE] = Cell{};
    if (area.lat.max > max_lat) cells[kN] = cells[kNE] = cells[kNW] = Cell{};
    if (area.lon.min < min_lon) cells[kW] = cells[kSW] = cells[kNW] = Cell{};
    if (area.lon.max > max_lon) cells[kE] = cells[kSE] = cells[kNE] = Cell{};
  }
  return cells;
}

void ScoreLimits(Cell cell, double* min, double* max) {
  int shift = 52 - 2 * cell.step;
  *min = static_cast<double>(cell.bits << shift);
  *max = static_cast<double>((cell.bits + 1) << shift);
}

}  // namespace dkv::engine::geo
