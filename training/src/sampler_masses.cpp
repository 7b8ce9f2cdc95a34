#include "painn/error.h"
#include "painn/teacher.h"

namespace painn {

double atomic_mass(int z) {
  static const double m[] = {0,      1.008,  4.0026, 6.94,   9.0122, 10.81,  12.011, 14.007, 15.999, 18.998,
                             20.180, 22.990, 24.305, 26.982, 28.085, 30.974, 32.06,  35.45,  39.948, 39.098,
                             40.078};
  if (z >= 1 && z <= 20) return m[z];
  if (z == 35) return 79.904;
  if (z == 53) return 126.90;
  throw Error("no atomic mass tabulated for Z = " + std::to_string(z));
}

}  // namespace painn
