// engine/geohash against values redis-server 7.0.15 produced: GEOADD's scores (ZSCORE), GEOPOS's
// digits, GEOHASH's strings and GEODIST's four decimals, plus the search cells' invariants.
#include "engine/geohash.h"

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <string>

#include "engine/numbers.h"

using namespace dkv::engine;

namespace {

struct Known {
  double lon, lat;
  uint64_t score;
  const char* pos_lon;
  const char* pos_lat;
  const char* hash;
};

// GEOADD k lon lat m; ZSCORE; GEOPOS; GEOHASH, from redis-server 7.0.15.
const Known kKnown[] = {
    {13.361389, 38.115556, 3479099956230698, "13.36138933897018433", "38.11555639549629859",
     "sqc8b49rny0"},
    {15.087269, 37.502669, 3479447370796909, "15.08726745843887329", "37.50266842333162032",
     "sqdtr74hyu0"},
    {-63.42, -18.0, 951695070247471, "-63.41999799013137817", "-17.99999913609774893",
     "6sfcsg4yqu0"},
    {-154.0, -23.0, 340384385651391, "-153.99999886751174927", "-23.00000023389439718",
     "2efmpsux7c0"},
    {147.49, -78.67303263, 2968812730825221, "147.48999863862991333", "-78.67303147188525259",
     "p60bknnbq50"},
    // The limits: 180 carries one bit past 52 (as in Redis) and decodes clamped.
    {180, 0, 10133099161583616, "180", "0.00000126736058093", "80000000000"},
    {-180, 0, 1125899906842624, "-179.99999731779098511", "0.00000126736058093", "80000000000"},
    {0, 85.05112878, 6755399441055744, "0.00000268220901489", "85.0511287799999991", "up05b5048p0"},
    {0, -85.05112878, 2251799813685248, "0.00000268220901489", "-85.05112751263942528",
     "h0bh0hbj200"},
    {0, 0, 3377699720527872, "0.00000268220901489", "0.00000126736058093", "s0000000000"},
};

std::string Fixed4(double d) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.4f", d);
  return buf;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(geohash)

BOOST_AUTO_TEST_CASE(scores_positions_and_strings_match_redis) {
  for (const Known& k : kKnown) {
    BOOST_TEST_CONTEXT(k.lon << "," << k.lat) {
      BOOST_TEST(geo::ValidPosition(k.lon, k.lat));
      uint64_t score = geo::ScoreOf(k.lon, k.lat);
      BOOST_TEST(score == k.score);
      double lon = 0, lat = 0;
      geo::PositionOf(static_cast<double>(score), &lon, &lat);
      BOOST_TEST(FormatLongDouble(lon) == k.pos_lon);
      BOOST_TEST(FormatLongDouble(lat) == k.pos_lat);
      BOOST_TEST(geo::HashString(static_cast<double>(score)) == k.hash);
    }
  }
}

BOOST_AUTO_TEST_CASE(distances_match_redis) {
  double lon1, lat1, lon2, lat2;
  geo::PositionOf(3479099956230698.0, &lon1, &lat1);  // Palermo
  geo::PositionOf(3479447370796909.0, &lon2, &lat2);  // Catania
  // GEODIST Sicily Palermo Catania [km | mi | ft]
  BOOST_TEST(Fixed4(geo::Distance(lon1, lat1, lon2, lat2)) == "166274.1516");
  BOOST_TEST(Fixed4(geo::Distance(lon1, lat1, lon2, lat2) / 1000) == "166.2742");
  BOOST_TEST(Fixed4(geo::Distance(lon1, lat1, lon2, lat2) / 1609.34) == "103.3182");
  BOOST_TEST(Fixed4(geo::Distance(lon1, lat1, lon2, lat2) / 0.3048) == "545518.8700");
  // GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST
  BOOST_TEST(Fixed4(geo::Distance(15, 37, lon2, lat2) / 1000) == "56.4413");
  BOOST_TEST(Fixed4(geo::Distance(15, 37, lon1, lat1) / 1000) == "190.4424");
  // Same meridian: the distance along it.
  BOOST_TEST(geo::Distance(10, 0, 10, 1) == geo::LatDistance(0, 1));
  BOOST_TEST(geo::Distance(10, 5, 10, 5) == 0.0);
}

BOOST_AUTO_TEST_CASE(positions_outside_the_limits_are_refused) {
  BOOST_TEST(!geo::ValidPosition(180.0000001, 0));
  BOOST_TEST(!geo::ValidPosition(-180.0000001, 0));
  BOOST_TEST(!geo::ValidPosition(0, 85.05112879));
  BOOST_TEST(!geo::ValidPosition(0, -85.05112879));
  geo::Cell c;
  BOOST_TEST(!geo::Encode(geo::kLonRange, geo::kLatRange, 0, 86, 26, &c));
  BOOST_TEST(!geo::Encode(geo::kLonRange, geo::kLatRange, 0, 0, 0, &c));
}

BOOST_AUTO_TEST_CASE(step_estimate) {
  BOOST_TEST(geo::EstimateSteps(0, 0) == 26);
  BOOST_TEST(geo::EstimateSteps(1, 0) == 24);
  BOOST_TEST(geo::EstimateSteps(1000, 0) == 14);
  BOOST_TEST(geo::EstimateSteps(1000, 70) == 13);
  BOOST_TEST(geo::EstimateSteps(1000, -81) == 12);
  BOOST_TEST(geo::EstimateSteps(5e7, 0) == 1);
  BOOST_TEST(geo::EstimateSteps(1e-300, 0) == 26);
}

BOOST_AUTO_TEST_CASE(search_cells_cover_the_center_and_its_neighbours) {
  geo::Shape s;
  s.lon = 13.361389;
  s.lat = 38.115556;
  s.radius = 200;
  s.to_meters = 1000;
  auto cells = geo::SearchCells(s);
  BOOST_TEST(!cells[0].none());
  int step = cells[0].step;
  BOOST_TEST(step >= 1);
  BOOST_TEST(step <= 26);
  // The center's cell holds the center's own score.
  double min = 0, max = 0;
  geo::ScoreLimits(cells[0], &min, &max);
  double score = static_cast<double>(geo::ScoreOf(s.lon, s.lat));
  BOOST_TEST(min <= score);
  BOOST_TEST(score < max);
  // Every neighbour that is kept is a different cell of the same step.
  for (size_t i = 1; i < cells.size(); ++i) {
    if (cells[i].none()) continue;
    BOOST_TEST(cells[i].step == step);
    BOOST_TEST(cells[i].bits != cells[0].bits);
  }
}

BOOST_AUTO_TEST_CASE(box_and_circle_membership) {
  geo::Shape circle;
  circle.lon = 15;
  circle.lat = 37;
  circle.radius = 100;
  circle.to_meters = 1000;
  double meters = 0;
  BOOST_TEST(geo::Within(circle, 15.087269, 37.502669, &meters));
  BOOST_TEST(meters < 100000);
  BOOST_TEST(!geo::Within(circle, 13.361389, 38.115556, &meters));
  geo::Shape box;
  box.kind = geo::Shape::kBox;
  box.lon = 15;
  box.lat = 37;
  box.width = 400;
  box.height = 200;
  box.to_meters = 1000;
  BOOST_TEST(geo::Within(box, 15.087269, 37.502669, &meters));
  BOOST_TEST(!geo::Within(box, 13.361389, 38.115556, &meters));  // 124 km north
  box.height = 100;
  BOOST_TEST(!geo::Within(box, 15.087269, 37.502669, &meters));  // 56 km north
}

BOOST_AUTO_TEST_SUITE_END()
