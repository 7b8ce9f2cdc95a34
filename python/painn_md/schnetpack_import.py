"""painn import schnetpack: a schnetpack 2.x PaiNN model -> a PaiNN-MD model file.

    python -m painn_md.schnetpack_import MODEL.pt -o OUT.safetensors [--species H,C,N,O] [--dtype fp32|fp64]

MODEL.pt is what torch.save wrote: the NeuralNetworkPotential itself (best: every setting is
checked), its state_dict, or a Lightning checkpoint. The model must be a schnetpack PaiNN
representation (nn.Embedding, BesselRBF or GaussianRBF from 0 to the cutoff, CosineCutoff, SiLU,
one vector-norm epsilon for all layers, shared or separate filters) with one Atomwise energy head (sum aggregation), optional
ScaleProperty/AddOffsets postprocessors (scale, mean per atom, atomrefs). Anything else is refused
with a message naming it. Embedding rows are kept for the model's elements: those with atomrefs,
or --species. Filters, interactions, mixing and head map one to one (docs/model-format.md).
"""
import argparse
import sys

import numpy as np
import torch

from .schnetpack_modules import import_schnetpack

EPSILON = 1e-8  # schnetpack's default vector-norm epsilon, and the format's (docs/model-format.md section 10)
REP = "representation."


class Unmappable(ValueError):
    """Part of the schnetpack model has no PaiNN-MD equivalent; the message names it."""


def nominal(x):
    """schnetpack keeps its cutoff in a float32 buffer: the value meant is the shortest decimal that
    rounds to it (5.3 for float32 5.30000019). A value that is not a float32 (a float64 model) is kept."""
    x = float(x)
    x32 = np.float32(x)
    return float(np.format_float_positional(x32, unique=True, trim="-")) if float(x32) == x else x


def numpy64(t):
    return t.detach().cpu().to(dtype=torch.float64).numpy().copy()


# ------------------------------------------------------------------------- whole-model checks
def is_silu(act):
    return act is torch.nn.functional.silu or isinstance(act, torch.nn.SiLU)


def is_identity(act):
    return isinstance(act, torch.nn.Identity)


def check_dense(layer, where, activated):
    """A schnetpack Dense (nn.Linear + activation): SiLU where `activated`, none otherwise."""
    if not isinstance(layer, torch.nn.Linear):
        raise Unmappable(f"{where}: {type(layer).__name__} is not a dense layer")
    act = getattr(layer, "activation", None)
    if activated and not is_silu(act):
        raise Unmappable(f"{where}: activation {getattr(act, '__name__', type(act).__name__)} (PaiNN-MD has SiLU only)")
    if not activated and act is not None and not is_identity(act):
        raise Unmappable(f"{where}: activation {getattr(act, '__name__', type(act).__name__)} after a layer that has none")


def check_representation(rep):
    name = type(rep).__name__
    if name != "PaiNN":
        raise Unmappable(f"representation {name}: only schnetpack's PaiNN maps to PaiNN-MD")
    if not isinstance(rep.embedding, torch.nn.Embedding):
        raise Unmappable(f"nuclear embedding {type(rep.embedding).__name__}: only nn.Embedding maps")
    if len(getattr(rep, "electronic_embeddings", [])):
        raise Unmappable("electronic embeddings (charge/spin): PaiNN-MD has none")
    if type(rep.radial_basis).__name__ not in ("BesselRBF", "GaussianRBF"):
        raise Unmappable(f"radial basis {type(rep.radial_basis).__name__}: BesselRBF and GaussianRBF map")
    if type(rep.cutoff_fn).__name__ != "CosineCutoff":
        raise Unmappable(f"cutoff function {type(rep.cutoff_fn).__name__}: only CosineCutoff maps")
    epsilons = {float(mix.epsilon) for mix in rep.mixing}
    if len(epsilons) != 1:
        raise Unmappable(f"mixing epsilons {sorted(epsilons)} differ between layers (a model file has one)")
    (epsilon,) = epsilons
    if not 0 < epsilon <= 1:
        raise Unmappable(f"mixing epsilon {epsilon} is outside (0, 1] (docs/model-format.md section 10)")
    for l, (inter, mix) in enumerate(zip(rep.interactions, rep.mixing)):
        check_dense(inter.interatomic_context_net[0], f"interactions.{l} context layer 0", True)
        check_dense(inter.interatomic_context_net[1], f"interactions.{l} context layer 1", False)
        check_dense(mix.intraatomic_context_net[0], f"mixing.{l} context layer 0", True)
        check_dense(mix.intraatomic_context_net[1], f"mixing.{l} context layer 1", False)
        check_dense(mix.mu_channel_mix, f"mixing.{l} mu_channel_mix", False)
        if mix.mu_channel_mix.bias is not None:
            raise Unmappable(f"mixing.{l} mu_channel_mix has a bias (a vector bias breaks equivariance)")


def energy_head(model):
    """(index of the Atomwise energy head in output_modules, energy key, forces key, notes)."""
    energy_key, forces_key, notes = None, None, []
    for m in model.output_modules:
        if type(m).__name__ == "Forces":
            energy_key, forces_key = m.energy_key, getattr(m, "force_key", "forces")
    atomwise = [k for k, m in enumerate(model.output_modules) if type(m).__name__ == "Atomwise"]
    if energy_key is None and len(atomwise) == 1:
        energy_key = model.output_modules[atomwise[0]].output_key
    heads = [k for k in atomwise if model.output_modules[k].output_key == energy_key]
    if len(heads) != 1:
        raise Unmappable(f"{len(heads)} Atomwise heads write the energy ('{energy_key}'); one is needed")
    for k, m in enumerate(model.output_modules):
        name = type(m).__name__
        if k in heads or name in ("Forces", "Response"):
            continue
        if name in ("Atomwise", "DipoleMoment", "Polarizability") and getattr(m, "output_key", None) != energy_key:
            notes.append(f"output module {k} ({name}) predicts another property: not imported")
            continue
        raise Unmappable(f"output module {k} ({name}): it is not PaiNN's energy head and may change the energy")
    head = model.output_modules[heads[0]]
    if head.n_out != 1 or head.aggregation_mode != "sum":
        raise Unmappable(f"energy head: n_out {head.n_out}, aggregation {head.aggregation_mode!r} (needs 1 and 'sum')")
    layers = list(head.outnet)
    for j, layer in enumerate(layers):
        check_dense(layer, f"energy head layer {j}", j + 1 < len(layers))
        if layer.bias is None:
            raise Unmappable(f"energy head layer {j} has no bias")
    return heads[0], energy_key, forces_key, notes


def offsets(model, energy_key, forces_key, zmax):
    """E = scale * sum_i y_i + sum_i (shift + ref[Z_i]) from the postprocessors, in their order."""
    scale, shift, ref, force_scale = 1.0, 0.0, np.zeros(zmax), 1.0
    if not model.do_postprocessing:
        return scale, shift, ref
    for k, p in enumerate(model.postprocessors):
        name = type(p).__name__
        if name in ("CastTo64", "CastTo32", "CastMap"):
            continue
        if name == "AddOffsets" and p._property == energy_key:
            if not p.is_extensive:
                raise Unmappable(f"postprocessor {k} (AddOffsets): an intensive energy (divided by the atom count)")
            if p.add_mean:
                shift += float(p.mean.reshape(-1)[0])
            if p.add_atomrefs:
                a = numpy64(p.atomref).reshape(-1)
                ref[:len(a)] += a
        elif name == "ScaleProperty" and p.input_key == energy_key and p.output_key == energy_key:
            s = float(p.scale.reshape(-1)[0])
            scale, shift, ref = scale * s, shift * s, ref * s
        elif name == "ScaleProperty" and p.input_key == forces_key and p.output_key == forces_key:
            force_scale *= float(p.scale.reshape(-1)[0])
        else:
            raise Unmappable(f"postprocessor {k} ({name}) on '{getattr(p, '_property', getattr(p, 'input_key', '?'))}'")
    if forces_key is not None and force_scale != scale:
        raise Unmappable(f"postprocessors scale the energy by {scale} but the forces by {force_scale}")
    return scale, shift, ref


def from_module(model):
    """(state_dict, facts) of a NeuralNetworkPotential after checking every part of it."""
    for k, m in enumerate(model.input_modules):
        if type(m).__name__ not in ("PairwiseDistances", "Strain"):
            raise Unmappable(f"input module {k} ({type(m).__name__})")
    check_representation(model.representation)
    head, energy_key, forces_key, notes = energy_head(model)
    zmax = model.representation.embedding.weight.shape[0]
    scale, shift, ref = offsets(model, energy_key, forces_key, zmax)
    facts = {"head": head, "scale": scale, "shift": shift, "atomref": ref, "notes": notes,
             "epsilon": float(model.representation.mixing[0].epsilon)}
    return model.state_dict(), facts


# ------------------------------------------------------------------------- state_dict only
def from_state_dict(sd):
    """A bare state_dict carries no classes: SiLU, epsilon 1e-8 and the AddOffsets buffers
    (mean per atom, atomrefs) are assumed, as schnetpack's defaults; a ScaleProperty is refused."""
    sd = {k[len("model."):] if k.startswith("model.") else k: v for k, v in sd.items()}
    heads = sorted({int(k.split(".")[1]) for k in sd if k.startswith("output_modules.") and ".outnet." in k})
    if len(heads) != 1:
        raise Unmappable(f"{len(heads)} output heads in the state_dict: save the whole model "
                         "(torch.save(model)) so that the energy head can be told")
    zmax = sd[REP + "embedding.weight"].shape[0]
    shift, ref = 0.0, np.zeros(zmax)
    for k in sorted(sd):
        if not k.startswith("postprocessors."):
            continue
        if k.endswith(".mean"):
            shift += float(sd[k].reshape(-1)[0])
        elif k.endswith(".atomref"):
            a = numpy64(sd[k]).reshape(-1)
            ref[:len(a)] += a
        elif k.endswith(".scale") and float(sd[k].reshape(-1)[0]) != 1.0:
            raise Unmappable(f"{k}: a ScaleProperty postprocessor; save the whole model to import it")
    notes = ["state_dict only: SiLU activations, epsilon 1e-8 and the AddOffsets buffers (mean, atomrefs) assumed"]
    return sd, {"head": heads[0], "scale": 1.0, "shift": shift, "atomref": ref, "notes": notes, "epsilon": EPSILON}


# ------------------------------------------------------------------------- the mapping
def basis(sd, R, cutoff):
    """'bessel' or 'gaussian' after checking the basis constants against PaiNN-MD's formulas
    (to float32 rounding: schnetpack builds them in float32)."""
    n = np.arange(1, R + 1)
    if REP + "radial_basis.freqs" in sd:
        freqs = numpy64(sd[REP + "radial_basis.freqs"]).reshape(-1)
        if not np.allclose(freqs, n * np.pi / cutoff, rtol=1e-6, atol=0):
            raise Unmappable(f"BesselRBF frequencies are not n pi / {cutoff} (a different cutoff, or trained)")
        return "bessel"
    if REP + "radial_basis.offsets" in sd:
        centres = numpy64(sd[REP + "radial_basis.offsets"]).reshape(-1)
        widths = numpy64(sd[REP + "radial_basis.widths"]).reshape(-1)
        if R < 2 or not np.allclose(centres, cutoff * (n - 1) / (R - 1), rtol=0, atol=1e-6 * cutoff):
            raise Unmappable(f"GaussianRBF centres are not 0 .. {cutoff} evenly spaced (start or cutoff differ, or trained)")
        if not np.allclose(widths, cutoff / (R - 1), rtol=1e-6, atol=0):
            raise Unmappable(f"GaussianRBF widths are not the centre spacing {cutoff / (R - 1)}")
        return "gaussian"
    raise Unmappable("no BesselRBF or GaussianRBF constants in the representation")


def layer_count(sd):
    return len({int(k.split(".")[2]) for k in sd if k.startswith(REP + "interactions.")})


def convert(sd, facts, species=None):
    """(config, float64 tensors, source dtype) in PaiNN-MD's names (docs/model-format.md)."""
    embedding = numpy64(sd[REP + "embedding.weight"])
    H, L = embedding.shape[1], layer_count(sd)
    fw, fb = numpy64(sd[REP + "filter_net.weight"]), numpy64(sd[REP + "filter_net.bias"])
    R = fw.shape[1]
    if fw.shape[0] not in (3 * H, 3 * H * L):
        raise Unmappable(f"filter_net has {fw.shape[0]} rows for H = {H}, {L} layers (3H or 3HL expected)")
    cutoff = nominal(sd[REP + "cutoff_fn.cutoff"].reshape(-1)[0])
    ref = facts["atomref"]
    if species is None:
        species = [int(z) for z in np.nonzero(ref)[0] if z > 0]
        if not species:
            raise Unmappable("the model has no atomrefs to tell its elements: give them with --species H,C,N,O")
    bad = [z for z in species if not 0 < z < embedding.shape[0]]
    if bad:
        raise Unmappable(f"elements {bad} have no row in the {embedding.shape[0]}-row embedding")
    t = {"embedding.weight": embedding[species], "filter.weight": fw, "filter.bias": fb}
    source_dtypes = {sd[REP + "embedding.weight"].dtype, sd[REP + "filter_net.weight"].dtype}

    def dense(dst, src, bias=True):
        t[dst + ".weight"] = numpy64(sd[src + ".weight"])
        source_dtypes.add(sd[src + ".weight"].dtype)
        if bias:
            t[dst + ".bias"] = numpy64(sd[src + ".bias"])
        elif src + ".bias" in sd:
            raise Unmappable(f"{src} has a bias")

    for l in range(L):
        inter, mix = f"{REP}interactions.{l}.interatomic_context_net", f"{REP}mixing.{l}"
        dense(f"interaction.{l}.context1", inter + ".0")
        dense(f"interaction.{l}.context2", inter + ".1")
        dense(f"mixing.{l}.vector_mix", mix + ".mu_channel_mix", bias=False)
        dense(f"mixing.{l}.context1", mix + ".intraatomic_context_net.0")
        dense(f"mixing.{l}.context2", mix + ".intraatomic_context_net.1")
    head = f"output_modules.{facts['head']}.outnet"
    n_head = len({int(k[len(head) + 1:].split(".")[0]) for k in sd if k.startswith(head + ".")})
    for j in range(n_head):
        dense(f"head.{j}", f"{head}.{j}")
    if t[f"head.{n_head - 1}.weight"].shape[0] != 1:
        raise Unmappable("the energy head's last layer has more than one output")
    config = {"hidden": H, "layers": L, "rbf": R, "cutoff": cutoff, "radial_basis": basis(sd, R, cutoff),
              "shared_filters": fw.shape[0] == 3 * H and L > 1,
              "head_hidden": [t[f"head.{j}.weight"].shape[0] for j in range(n_head - 1)], "species": species,
              "energy_scale": facts["scale"], "energy_shift": facts["shift"],
              "reference_energy": [float(ref[z]) for z in species], "vector_norm_epsilon": facts["epsilon"]}
    return config, t, "fp64" if torch.float64 in source_dtypes else "fp32"


def load(path):
    """(state_dict, facts) of the schnetpack model that torch.save wrote to `path`."""
    try:
        import_schnetpack()  # before torch.load: a saved model's classes live there
    except ImportError as e:
        missing_schnetpack = e
    else:
        missing_schnetpack = None
    try:
        obj = torch.load(path, map_location="cpu", weights_only=False)
    except ModuleNotFoundError as e:
        raise ImportError(f"{path} holds a pickled schnetpack model, and {missing_schnetpack or e}") from e
    if isinstance(obj, torch.nn.Module):
        return from_module(obj)
    if isinstance(obj, dict):
        return from_state_dict(obj.get("state_dict", obj))
    raise Unmappable(f"{path} holds a {type(obj).__name__}, not a schnetpack model or state_dict")


def import_model(path, output, species=None, dtype=None):
    """Writes `output` from the schnetpack model in `path`; returns (painn_md.Model, notes)."""
    from . import Model
    sd, facts = load(path)
    config, tensors, source_dtype = convert(sd, facts, species)
    import_schnetpack_version = sys.modules.get("schnetpack")
    provenance = {"creator": "painn import schnetpack", "source": str(path),
                  "schnetpack_version": str(getattr(import_schnetpack_version, "__version__", "unknown")),
                  "notes": "; ".join(facts["notes"])}
    model = Model.from_arrays(config, tensors, provenance)
    model.save(output, dtype or source_dtype)
    return Model(output), facts["notes"]


def parse_species(text):
    from . import _core
    return [int(s) if s.isdigit() else _core.atomic_number(s) for s in text.split(",") if s]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="painn import schnetpack", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="schnetpack model saved with torch.save (the model, or its state_dict)")
    ap.add_argument("-o", "--output", required=True, help="PaiNN-MD model file to write (.safetensors)")
    ap.add_argument("--species", help="elements to keep, e.g. H,C,N,O (default: those with atomrefs)")
    ap.add_argument("--dtype", choices=["fp64", "fp32"], help="stored weights (default: the model's own)")
    a = ap.parse_args(argv)
    try:
        model, notes = import_model(a.model, a.output, parse_species(a.species) if a.species else None, a.dtype)
    except (Unmappable, ImportError, FileNotFoundError) as e:
        print(f"painn import schnetpack: error: {e}", file=sys.stderr)
        return 1
    for note in notes:
        print(f"note: {note}")
    print(f"wrote {a.output} (PaiNN, hidden {model.hidden}, {model.layers} layers, {model.rbf} {model.radial_basis}, "
          f"cutoff {model.cutoff:g} A, species {model.species}, weights {model.weight_dtype})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
