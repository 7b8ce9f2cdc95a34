#include "half.h"

#include <cmath>
#include <cstring>

namespace painn {

double half_to_double(uint16_t h) {
  const int sign = (h >> 15) & 1;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  double value;
  if (exponent == 0) {
    value = std::ldexp(static_cast<double>(mantissa), -24);  // subnormal
  } else if (exponent == 31) {
    value = mantissa ? NAN : INFINITY;
  } else {
    value = std::ldexp(static_cast<double>(mantissa | 0x400), exponent - 25);
  }
  return sign ? -value : value;
}

uint16_t double_to_half(double x) {
  // Go through float (exact for the rounding we need only when done carefully): we round the
  // double directly to 11 significant bits with round-half-even via nearbyint.
  uint16_t sign = std::signbit(x) ? 0x8000 : 0;
  double a = std::fabs(x);
  if (std::isnan(x)) return 0x7e00;
  if (a >= 65520.0) return sign | 0x7c00;  // overflow to infinity (65520 rounds up)
  if (a < std::ldexp(1.0, -14)) {
    // subnormal range: unit 2^-24
    double m = std::nearbyint(std::ldexp(a, 24));
    return sign | static_cast<uint16_t>(m);  // m == 1024 becomes the smallest normal, correctly
  }
  int e;
  double f = std::frexp(a, &e);            // a = f * 2^e, f in [0.5, 1)
  double m = std::nearbyint(std::ldexp(f, 11));  // 11 significant bits, [1024, 2048]
  if (m == 2048) { m = 1024; ++e; }
  int biased = e - 1 + 15;
  if (biased >= 31) return sign | 0x7c00;
  return sign | static_cast<uint16_t>((biased << 10) | (static_cast<int>(m) - 1024));
}

}  // namespace painn
