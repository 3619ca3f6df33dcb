#define BOOST_TEST_MODULE integration_hiredis
#include <boost/test/unit_test.hpp>
