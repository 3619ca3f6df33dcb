// The geo commands through the dispatcher: what the differential corpus cannot show against
// Redis. Both sorted-set encodings search alike, a huge radius lists each member once, COUNT
// allocates nothing for its size, the STORE keys are found by keyword (GETKEYS, ACL), @geo
// holds the family, and the replies' shapes in RESP2 and RESP3.
#include <boost/test/unit_test.hpp>
#include <string>

#include "harness.h"

using namespace dkv::server;

namespace {

// A deterministic spread of points over the valid grid, as GEOADD arguments.
std::vector<std::string> ManyPoints(const std::string& key, int n) {
  std::vector<std::string> argv = {"GEOADD", key};
  for (int i = 0; i < n; ++i) {
    double lon = -179.0 + (i * 37 % 358) + (i % 7) * 0.1;
    double lat = -84.0 + (i * 53 % 168) + (i % 5) * 0.1;
    argv.push_back(std::to_string(lon));
    argv.push_back(std::to_string(lat));
    argv.push_back("p" + std::to_string(i));
  }
  return argv;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(geo_commands, CommandHarness)

BOOST_AUTO_TEST_CASE(add_pos_dist_hash) {
  BOOST_TEST(Run({"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
                  "Catania"}) == ":2\r\n");
  BOOST_TEST(Run({"ZSCORE", "Sicily", "Palermo"}) == "$16\r\n3479099956230698\r\n");
  BOOST_TEST(Run({"GEOPOS", "Sicily", "Palermo", "nope"}) ==
             "*2\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n"
             "*-1\r\n");
  BOOST_TEST(Run({"GEODIST", "Sicily", "Palermo", "Catania", "km"}) == "$8\r\n166.2742\r\n");
  BOOST_TEST(Run({"GEOHASH", "Sicily", "Palermo", "nope"}) ==
             "*2\r\n$11\r\nsqc8b49rny0\r\n$-1\r\n");
  BOOST_TEST(Run({"GEOADD", "Sicily", "CH", "13.5", "38", "Palermo"}) == ":1\r\n");
  BOOST_TEST(Run({"GEOADD", "Sicily", "XX", "1", "2", "Other"}) == ":0\r\n");
  BOOST_TEST(Run({"GEOADD", "Sicily", "200", "1", "x"}) ==
             "-ERR invalid longitude,latitude pair 200.000000,1.000000\r\n");
  BOOST_TEST(Run({"TYPE", "Sicily"}) == "+zset\r\n");
}

BOOST_AUTO_TEST_CASE(resp3_coordinates_are_doubles_distances_bulk) {
  Run({"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo"});
  Run({"HELLO", "3"});
  BOOST_TEST(Run({"GEOPOS", "Sicily", "Palermo", "nope"}) ==
             "*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n");
  BOOST_TEST(Run({"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km",
                  "WITHDIST", "WITHHASH"}) ==
             "*1\r\n*3\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n");
  BOOST_TEST(Run({"GEODIST", "Sicily", "Palermo", "nope"}) == "_\r\n");
}

BOOST_AUTO_TEST_CASE(both_encodings_search_alike) {
  Run(ManyPoints("packed", 100));
  Run({"CONFIG", "SET", "zset-max-listpack-entries", "0"});
  Run(ManyPoints("table", 100));
  Run({"CONFIG", "SET", "zset-max-listpack-entries", "128"});
  for (const char* radius : {"100", "1000", "3000", "20000"}) {
    std::string a = Run({"GEOSEARCH", "packed", "FROMLONLAT", "10", "20", "BYRADIUS", radius, "km",
                         "WITHDIST", "WITHHASH"});
    std::string b = Run({"GEOSEARCH", "table", "FROMLONLAT", "10", "20", "BYRADIUS", radius, "km",
                         "WITHDIST", "WITHHASH"});
    BOOST_TEST(a == b);
    std::string c = Run({"GEOSEARCH", "packed", "FROMLONLAT", "-50", "-60", "BYBOX", radius, radius,
                         "mi", "DESC", "COUNT", "5"});
    std::string d = Run({"GEOSEARCH", "table", "FROMLONLAT", "-50", "-60", "BYBOX", radius, radius,
                         "mi", "DESC", "COUNT", "5"});
    BOOST_TEST(c == d);
  }
}

BOOST_AUTO_TEST_CASE(a_huge_radius_lists_each_member_once) {
  Run(ManyPoints("g", 50));
  std::string all = Run({"GEORADIUS", "g", "0", "0", "40000", "km"});
  BOOST_TEST(all.rfind("*50\r\n", 0) == 0u);
  for (int i = 0; i < 50; ++i) {
    std::string m = "p" + std::to_string(i);
    BOOST_TEST(Count(all, "$" + std::to_string(m.size()) + "\r\n" + m + "\r\n") == 1u);
  }
}

BOOST_AUTO_TEST_CASE(count_is_not_an_allocation) {
  Run({"GEOADD", "g", "1", "1", "a", "2", "2", "b"});
  BOOST_TEST(Run({"GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "1000", "km", "COUNT",
                  "9223372036854775807"}) == "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  BOOST_TEST(Run({"GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "1000", "km", "COUNT",
                  "9223372036854775807", "ANY"}) == "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
}

BOOST_AUTO_TEST_CASE(store_keys_are_found_by_keyword) {
  BOOST_TEST(Run({"COMMAND", "GETKEYS", "GEORADIUS", "src", "1", "2", "3", "km", "STORE", "dst"}) ==
             "*2\r\n$3\r\nsrc\r\n$3\r\ndst\r\n");
  BOOST_TEST(Run({"COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "src", "m", "3", "km", "STOREDIST",
                  "dst"}) == "*2\r\n$3\r\nsrc\r\n$3\r\ndst\r\n");
  BOOST_TEST(Run({"COMMAND", "GETKEYS", "GEOSEARCHSTORE", "dst", "src", "FROMMEMBER", "m",
                  "BYRADIUS", "1", "km"}) == "*2\r\n$3\r\ndst\r\n$3\r\nsrc\r\n");
  // A user who may read only src~* cannot store into another key.
  Run({"ACL", "SETUSER", "u", "on", "nopass", "+@geo", "~src*"});
  Run({"AUTH", "u", "x"}, 1);
  Run({"GEOADD", "src", "1", "1", "a"});
  BOOST_TEST(Run({"GEORADIUS", "src", "1", "1", "10", "km"}, 1) == "*1\r\n$1\r\na\r\n");
  BOOST_TEST(
      Run({"GEORADIUS", "src", "1", "1", "10", "km", "STORE", "dst"}, 1).rfind("-NOPERM", 0) == 0u);
  BOOST_TEST(Run({"GEORADIUS", "src", "1", "1", "10", "km", "STORE", "src2"}, 1) == ":1\r\n");
}

BOOST_AUTO_TEST_CASE(geo_category_holds_the_family) {
  std::string cat = Run({"ACL", "CAT", "geo"});
  for (const char* name :
       {"geoadd", "geodist", "geohash", "geopos", "georadius", "georadiusbymember", "georadius_ro",
        "georadiusbymember_ro", "geosearch", "geosearchstore"}) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(cat.find(std::string("\r\n") + name + "\r\n") != std::string::npos);
    }
  }
  BOOST_TEST(Count(cat, "\r\n$") == 10u);
}

BOOST_AUTO_TEST_CASE(store_replaces_and_deletes) {
  Run({"GEOADD", "s", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"});
  Run({"SET", "d", "x", "EX", "100"});
  BOOST_TEST(Run({"GEOSEARCHSTORE", "d", "s", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km",
                  "STOREDIST"}) == ":2\r\n");
  BOOST_TEST(Run({"TTL", "d"}) == ":-1\r\n");
  BOOST_TEST(Run({"ZRANGE", "d", "0", "-1", "WITHSCORES"}) ==
             "*4\r\n$7\r\nPalermo\r\n$1\r\n0\r\n$7\r\nCatania\r\n$18\r\n166.27415156960032\r\n");
  BOOST_TEST(Run({"GEORADIUS", "s", "0", "0", "1", "km", "STORE", "d"}) == ":0\r\n");
  BOOST_TEST(Run({"EXISTS", "d"}) == ":0\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
