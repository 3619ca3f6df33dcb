#define BOOST_TEST_MODULE resp_unit
#include <boost/test/unit_test.hpp>
