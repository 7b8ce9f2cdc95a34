// Stand-ins used when PaiNN-MD is built without libxtb (PAINN_WITH_XTB=OFF, e.g. a portable
// static build for training elsewhere): GFN2 labelling and GFN-FF sampling report that clearly.
#include "painn/error.h"
#include "painn/teacher.h"

namespace painn {

namespace {
[[noreturn]] void no_xtb() { throw Error("this build of PaiNN-MD has no libxtb (configured with PAINN_WITH_XTB=OFF)"); }
}  // namespace

Label gfn2_singlepoint(const System&, double, int) { no_xtb(); }
struct GfnffModel::Impl {};
GfnffModel::GfnffModel(const System&, double) : impl_(nullptr) { no_xtb(); }
GfnffModel::~GfnffModel() = default;
Label GfnffModel::compute(const std::vector<std::array<double, 3>>&) { no_xtb(); }
std::vector<System> sample_md_gfnff(const System&, const SampleOptions&) { no_xtb(); }

}  // namespace painn
