#define BOOST_TEST_MODULE engine_unit
#include <boost/test/unit_test.hpp>
