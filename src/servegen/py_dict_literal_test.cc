// Table-driven tests for the Python dict literal parser: accepted forms and each malformed input
// with the error it must give.
#include "servegen/py_dict_literal.h"

#include <gtest/gtest.h>

namespace llms::servegen {
namespace {

TEST(PyDictLiteralTest, ParsesTheForms) {
  struct Case {
    const char* text;
    std::vector<std::pair<double, double>> expected;
  };
  const Case cases[] = {
      {"{}", {}},
      {"  { }  ", {}},
      {"{224: 0.25, 225: 0.75}", {{224, 0.25}, {225, 0.75}}},
      {"{0.0: 0.5, 0.002: 5e-01}", {{0.0, 0.5}, {0.002, 0.5}}},
      {"{1:1e-05,2:0.99999,}", {{1, 1e-05}, {2, 0.99999}}},
      {"{\n 3 : 1.0\n}", {{3, 1.0}}},
  };
  for (const auto& c : cases) {
    auto r = ParsePyDictLiteral(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.message();
    EXPECT_EQ(*r, c.expected) << c.text;
  }
}

TEST(PyDictLiteralTest, MalformedInputsGiveTheirErrors) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"", "column 1: expected '{' to open the dict"},
      {"[1, 2]", "expected '{'"},
      {"{224 0.5}", "column 6: expected ':' after the key"},
      {"{a: 0.5}", "column 2: expected a numeric key"},
      {"{1: x}", "column 5: expected a numeric value"},
      {"{1: 0.5 2: 0.5}", "expected ',' or '}'"},
      {"{1: 0.5, 2: 0.5", "the dict is not closed"},
      {"{1: 0.5} extra", "unexpected text after the closing '}'"},
      {"{1: 0.5,, 2: 0.5}", "expected a numeric key"},
      {"{'a': 1}", "expected a numeric key"},
  };
  for (const auto& c : cases) {
    auto r = ParsePyDictLiteral(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.message().find(c.error), std::string::npos) << c.text << " gave: " << r.message();
  }
}

}  // namespace
}  // namespace llms::servegen
