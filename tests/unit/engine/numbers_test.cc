#include "engine/numbers.h"

#include <boost/test/unit_test.hpp>

using namespace dkv::engine;

BOOST_AUTO_TEST_SUITE(numbers)

BOOST_AUTO_TEST_CASE(int64_is_strict_like_redis) {
  int64_t v = 0;
  BOOST_TEST(ParseInt64("0", &v));
  BOOST_TEST(ParseInt64("-9223372036854775808", &v));
  BOOST_TEST(v == INT64_MIN);
  BOOST_TEST(ParseInt64("9223372036854775807", &v));
  BOOST_TEST(!ParseInt64("9223372036854775808", &v));
  for (const char* bad : {"", "-", "+1", "01", " 1", "1 ", "-0", "1e3", "0x10", "12a"}) {
    BOOST_TEST_CONTEXT(bad) { BOOST_TEST(!ParseInt64(bad, &v)); }
  }
}

BOOST_AUTO_TEST_CASE(long_double_format_matches_incrbyfloat) {
  long double v;
  BOOST_TEST(ParseLongDouble("10.5", &v));
  BOOST_TEST(FormatLongDouble(v + 0.1L) == "10.6");
  BOOST_TEST(ParseLongDouble("5.0e3", &v));
  BOOST_TEST(FormatLongDouble(v) == "5000");
  BOOST_TEST(FormatLongDouble(-0.0L) == "0");
  BOOST_TEST(!ParseLongDouble(" 1", &v));
  BOOST_TEST(!ParseLongDouble("nan", &v));
  BOOST_TEST(!ParseLongDouble("1x", &v));
}

BOOST_AUTO_TEST_SUITE_END()
