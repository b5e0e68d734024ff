// Test helpers: small in-memory client pools and length distributions for the servegen tests.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "servegen/client_pool.h"

namespace llms::servegen::testing {

inline EmpiricalDistribution Dist(std::vector<std::pair<double, double>> pairs) {
  return std::move(EmpiricalDistribution::FromPairs(std::move(pairs))).value();
}

// A language pool of `clients` clients over `windows` windows of 600 s. Client i has rate
// (i + 1) * base_rate in every window, Gamma arrivals with `shape`, and input lengths uniform on
// {100 * (i + 1), ..., 100 * (i + 1) + 9}, output lengths uniform on {10, 20, 30, 40}.
inline ClientPool UniformPool(int clients, size_t windows, double base_rate, double shape = 0.5) {
  ClientPool pool;
  pool.category = Category::kLanguage;
  pool.source = "test";
  pool.num_windows = windows;
  for (int i = 0; i < clients; ++i) {
    Client c;
    c.id = "c";
    c.id += std::to_string(i);
    TraceWindow w;
    w.rate = base_rate * (i + 1);
    w.cv = 1.0 / std::sqrt(shape);
    w.pattern = ArrivalPattern::kGamma;
    w.shape = shape;
    w.scale = 1.0 / (w.rate * shape);
    c.windows.assign(windows, w);
    LengthWindow lw;
    std::vector<std::pair<double, double>> in;
    for (int v = 0; v < 10; ++v) in.emplace_back(100.0 * (i + 1) + v, 0.1);
    lw.fields[static_cast<int>(LengthField::kInputTokens)] = Dist(in);
    lw.fields[static_cast<int>(LengthField::kOutputTokens)] =
        Dist({{10, 0.25}, {20, 0.25}, {30, 0.25}, {40, 0.25}});
    c.lengths.push_back(lw);
    pool.clients.push_back(c);
  }
  return pool;
}

}  // namespace llms::servegen::testing
