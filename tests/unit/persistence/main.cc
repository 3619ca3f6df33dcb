#define BOOST_TEST_MODULE persistence_unit
#include <boost/test/unit_test.hpp>
