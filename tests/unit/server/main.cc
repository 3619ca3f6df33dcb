#define BOOST_TEST_MODULE server_unit
#include <boost/test/unit_test.hpp>
