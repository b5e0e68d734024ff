// Samplers and CDFs declared in distributions.h.
#include "core/distributions.h"

#include "core/special_functions.h"

namespace llms {

namespace {

// Marsaglia & Tsang's ziggurat (2000) with 128 layers. The layer index and the 32-bit signed value
// come from disjoint bits of one 64-bit draw (avoiding the correlation Doornik found in the
// original). The tables are computed once from libm at first use: identical on every machine.
struct NormalZiggurat {
  uint32_t k[128];
  double w[128], f[128];
  NormalZiggurat() {
    const double m1 = 2147483648.0;
    const double vn = 9.91256303526217e-3;
    double dn = 3.442619855899, tn = dn;
    const double q = vn / std::exp(-0.5 * dn * dn);
    k[0] = static_cast<uint32_t>((dn / q) * m1);
    k[1] = 0;
    w[0] = q / m1;
    w[127] = dn / m1;
    f[0] = 1.0;
    f[127] = std::exp(-0.5 * dn * dn);
    for (int i = 126; i >= 1; --i) {
      dn = std::sqrt(-2.0 * std::log(vn / dn + std::exp(-0.5 * dn * dn)));
      k[i + 1] = static_cast<uint32_t>((dn / tn) * m1);
      tn = dn;
      f[i] = std::exp(-0.5 * dn * dn);
      w[i] = dn / m1;
    }
  }
};

const NormalZiggurat& Ziggurat() {
  static const NormalZiggurat z;
  return z;
}

// The exponential ziggurat (Marsaglia & Tsang 2000), 256 layers, same bit split as above.
struct ExponentialZiggurat {
  uint32_t k[256];
  double w[256], f[256];
  ExponentialZiggurat() {
    const double m2 = 4294967296.0;
    const double ve = 3.949659822581572e-3;
    double de = 7.697117470131487, te = de;
    const double q = ve / std::exp(-de);
    k[0] = static_cast<uint32_t>((de / q) * m2);
    k[1] = 0;
    w[0] = q / m2;
    w[255] = de / m2;
    f[0] = 1.0;
    f[255] = std::exp(-de);
    for (int i = 254; i >= 1; --i) {
      de = -std::log(ve / de + std::exp(-de));
      k[i + 1] = static_cast<uint32_t>((de / te) * m2);
      te = de;
      f[i] = std::exp(-de);
      w[i] = de / m2;
    }
  }
};

}  // namespace

double SampleExponential(Rng& rng) {
  static const ExponentialZiggurat z;
  constexpr double r = 7.697117470131487;
  for (;;) {
    const uint64_t bits = rng.NextU64();
    const uint32_t jz = static_cast<uint32_t>(bits >> 32);
    const int iz = static_cast<int>(bits & 255);
    if (jz < z.k[iz]) return jz * z.w[iz];                 // ~98.9% of draws
    if (iz == 0) return r - std::log(rng.NextOpenUnit());  // the tail is exponential again
    const double x = jz * z.w[iz];
    if (z.f[iz] + rng.NextOpenUnit() * (z.f[iz - 1] - z.f[iz]) < std::exp(-x)) return x;
  }
}

namespace {}  // namespace

double SampleStandardNormal(Rng& rng) {
  static const NormalZiggurat& z = Ziggurat();
  constexpr double r = 3.442619855899;
  for (;;) {
    const uint64_t bits = rng.NextU64();
    const int32_t hz = static_cast<int32_t>(bits >> 32);
    const int iz = static_cast<int>(bits & 127);
    const uint32_t abs_hz =
        hz < 0 ? static_cast<uint32_t>(-static_cast<int64_t>(hz)) : static_cast<uint32_t>(hz);
    const double x = hz * z.w[iz];
    if (abs_hz < z.k[iz]) return x;  // inside the layer's rectangle: ~98.8% of draws
    if (iz == 0) {
      // The tail beyond r, by Marsaglia's method.
      double xt, y;
      do {
        xt = -std::log(rng.NextOpenUnit()) / r;
        y = -std::log(rng.NextOpenUnit());
      } while (y + y < xt * xt);
      return hz > 0 ? r + xt : -r - xt;
    }
    // The wedge: accept under the density.
    if (z.f[iz] + rng.NextOpenUnit() * (z.f[iz - 1] - z.f[iz]) < std::exp(-0.5 * x * x)) return x;
  }
}

double SampleGamma(double shape, Rng& rng) {
  if (shape < 1.0) {
    // U^(1/k) = exp(-E/k) with E exponential: tiny shapes underflow to 0 gracefully.
    const double g = SampleGamma(shape + 1.0, rng);
    return g * std::exp(-SampleExponential(rng) / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = SampleStandardNormal(rng);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.NextOpenUnit();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
    if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return d * v;
  }
}

double GammaCdf(double x, double shape, double scale) {
  return RegularizedLowerGamma(shape, x / scale);
}

double WeibullCdf(double x, double shape, double scale) {
  if (x <= 0.0) return 0.0;
  return -std::expm1(-std::pow(x / scale, shape));
}

double WeibullCv(double shape) {
  const double g1 = std::lgamma(1.0 + 1.0 / shape);
  const double g2 = std::lgamma(1.0 + 2.0 / shape);
  return std::sqrt(std::max(0.0, std::exp(g2 - 2.0 * g1) - 1.0));
}

double WeibullShapeForCv(double cv) {
  // CV decreases monotonically in the shape; bracket [1e-2, 1e3] covers CV ~ 1e-3 .. 1e60.
  double lo = std::log(1e-2), hi = std::log(1e3);
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (WeibullCv(std::exp(mid)) > cv)
      lo = mid;
    else
      hi = mid;
  }
  return std::exp(0.5 * (lo + hi));
}

}  // namespace llms
