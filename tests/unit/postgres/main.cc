#define BOOST_TEST_MODULE postgres_unit
#include <boost/test/unit_test.hpp>
