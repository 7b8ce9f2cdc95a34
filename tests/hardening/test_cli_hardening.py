"""Hostile input through the painn CLI (issue 13, reproducers D1-D7): each is a clear error with
exit status 1 naming the problem, never a crash, a NaN with status 0, or a memory blow-up; far-apart
molecules (legitimate physics) give the sum of the isolated energies.

Run: /usr/bin/python3 -m pytest tests/hardening/test_cli_hardening.py -q   (PAINN_BIN overrides the CLI path)
"""
import json
import os
import resource
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
PAINN = os.environ.get("PAINN_BIN", str(ROOT / "build" / "bin" / "painn"))
MODEL = ROOT / "potentials" / "ultratiny-fp32.safetensors"
pytestmark = pytest.mark.skipif(not os.access(PAINN, os.X_OK) or not MODEL.exists(),
                                reason=f"painn CLI not found at {PAINN} (or no shipped potential)")

MOLECULE = "3\nProperties=species:S:1:pos:R:3\nO 0 0 0\nH 0.96 0 0\nH -0.24 0.93 0\n"


# A blow-up fails the test instead of the machine: 4 GiB of address space. AddressSanitizer builds
# (scripts/sanitize.sh sets PAINN_SANITIZED) reserve terabytes of shadow address space, so there
# the same 4 GiB bound is ASan's own: larger allocations and resident sizes abort the process.
SANITIZED = os.environ.get("PAINN_SANITIZED") == "1"
ENV = dict(os.environ)
if SANITIZED:
    ENV["ASAN_OPTIONS"] = ENV.get("ASAN_OPTIONS", "") + ":max_allocation_size_mb=4096:hard_rss_limit_mb=4096"


def _limit_memory():
    if not SANITIZED:
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def run(*args, timeout=60):
    cmd = [PAINN, *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, preexec_fn=_limit_memory, env=ENV)


def expect_error(result, *texts):
    assert result.returncode == 1, f"status {result.returncode} (want 1); stderr:\n{result.stderr}"
    for t in texts:
        assert t in result.stderr, f"'{t}' not in:\n{result.stderr}"


# ------------------------------------------------------------------ safetensors editing
def split(data):
    n = struct.unpack("<Q", data[:8])[0]
    return data[8:8 + n].decode(), data[8 + n:]


def join(header_text, body):
    h = header_text.encode()
    return struct.pack("<Q", len(h)) + h + body


def edited(tmp_path, name, edit, source=MODEL):
    header, body = split(source.read_bytes())
    h = json.loads(header)
    body = edit(h, body) or body
    path = tmp_path / name
    path.write_bytes(join(json.dumps(h), body))
    return path


def set_meta(key, value):
    def edit(h, body):
        h["__metadata__"][key] = value
    return edit


def xyz(tmp_path, text, name="in.xyz"):
    p = tmp_path / name
    p.write_text(text)
    return p


def energy_of(out):
    line = Path(out).read_text().splitlines()[1]
    return float(line.split("energy=")[1].split()[0])


def evaluate(tmp_path, model, structure, *extra):
    out = tmp_path / "out.xyz"
    r = run("eval", model, structure, "-o", out, "--precision", "fp64", *extra)
    assert r.returncode == 0, r.stderr
    return energy_of(out)


# ------------------------------------------------------------------ D1
def test_d1_deep_provenance(tmp_path):
    deep = '{"a":' + "[" * 100000 + "]" * 100000 + "}"
    bad = edited(tmp_path, "deep.safetensors", set_meta("provenance", deep))
    expect_error(run("info", bad), "metadata 'provenance' is nested deeper than 64 levels")
    expect_error(run("eval", bad, xyz(tmp_path, MOLECULE), "-o", tmp_path / "o.xyz"), "nested deeper")


# ------------------------------------------------------------------ D2
def test_d2_far_apart_atoms_work(tmp_path):
    e_o = evaluate(tmp_path, MODEL, xyz(tmp_path, "1\nProperties=species:S:1:pos:R:3\nO 0 0 0\n", "o.xyz"))
    e_h = evaluate(tmp_path, MODEL, xyz(tmp_path, "1\nProperties=species:S:1:pos:R:3\nH 0 0 0\n", "h.xyz"))
    far = xyz(tmp_path, "2\nProperties=species:S:1:pos:R:3\nO 0 0 0\nH 20971512 20971512 20971512\n", "far.xyz")
    assert evaluate(tmp_path, MODEL, far) == pytest.approx(e_o + e_h, rel=1e-12, abs=1e-9)
    # two molecules 5e7 A apart: the sum of the two
    e_mol = evaluate(tmp_path, MODEL, xyz(tmp_path, MOLECULE, "mol.xyz"))
    lines = MOLECULE.splitlines()
    shifted = [f"{s} {float(x) + 5e7} {y} {z}" for s, x, y, z in (l.split() for l in lines[2:])]
    two = xyz(tmp_path, "6\n" + lines[1] + "\n" + "\n".join(lines[2:] + shifted) + "\n", "two.xyz")
    assert evaluate(tmp_path, MODEL, two) == pytest.approx(2 * e_mol, rel=1e-9)


@pytest.mark.parametrize("x", ["1.2e8", "1e12", "1e300"])
def test_d2_coordinates_beyond_the_limit_are_errors(tmp_path, x):
    s = xyz(tmp_path, f"2\nProperties=species:S:1:pos:R:3\nO 0 0 0\nH {x} {x} {x}\n")
    expect_error(run("eval", MODEL, s, "-o", tmp_path / "o.xyz"), "position of atom 1", "beyond the limit of 1e8 A")


def test_close_atoms_are_named(tmp_path):
    s = xyz(tmp_path, "3\nProperties=species:S:1:pos:R:3\nO 0 0 0\nH 1 0 0\nH 1.0000001 0 0\n")
    # The shipped files carry a repulsion and the network inner cutoff: only coincident atoms
    # (< 0.01 A) are an error for them (graph.h).
    expect_error(run("eval", MODEL, s, "-o", tmp_path / "o.xyz"), "atoms 1 and 2", "closer than 0.01 A")


def test_tiny_cell_is_an_error(tmp_path):
    s = xyz(tmp_path, ' 1\nLattice="0.2 0 0 0 0.2 0 0 0 0.2" Properties=species:S:1:pos:R:3 pbc="T T T"\nC 0 0 0\n')
    expect_error(run("eval", MODEL, s, "-o", tmp_path / "o.xyz"), "density above 1 atom/A^3")


def test_empty_and_directory_structures_are_errors(tmp_path):
    expect_error(run("eval", MODEL, xyz(tmp_path, ""), "-o", tmp_path / "o.xyz"), "holds no frames")
    expect_error(run("eval", MODEL, tmp_path, "-o", tmp_path / "o.xyz"), f"structure file '{tmp_path}' is a directory")


# ------------------------------------------------------------------ D3
@pytest.mark.parametrize("threads,text", [("100000", "thread count 100000 is above the limit of 1024"),
                                          ("4294967297", "--threads must be an integer (of 32 bits)")])
def test_d3_thread_count(tmp_path, threads, text):
    r = run("eval", MODEL, xyz(tmp_path, MOLECULE), "-o", tmp_path / "o.xyz", "--threads", threads)
    expect_error(r, text)


# ------------------------------------------------------------------ D4
def _set_f32(h, body, name, index, value):
    begin = h[name]["data_offsets"][0] + 4 * index
    return body[:begin] + struct.pack("<f", value) + body[begin + 4:]


def test_d4_huge_fp32_weight_is_an_error_naming_the_model(tmp_path):
    bad = edited(tmp_path, "flip.safetensors",
                 lambda h, b: _set_f32(h, b, "interaction.0.context2.weight", 5, 1.3e37))
    r = run("eval", bad, xyz(tmp_path, MOLECULE), "-o", tmp_path / "o.xyz", "--precision", "fp32")
    expect_error(r, f"model {bad}", "not finite")


def test_d4_fp64_weight_beyond_fp32(tmp_path):
    f64 = tmp_path / "m64.safetensors"
    assert run("convert", MODEL, "--to", "fp64", "-o", f64).returncode == 0

    def edit(h, body):
        begin = h["head.0.weight"]["data_offsets"][0]
        return body[:begin] + struct.pack("<d", 1e39) + body[begin + 8:]
    bad = edited(tmp_path, "w1e39.safetensors", edit, source=f64)
    r = run("eval", bad, xyz(tmp_path, MOLECULE), "-o", tmp_path / "o.xyz", "--precision", "fp32")
    expect_error(r, f"model {bad}", "beyond the fp32 range")


def test_d4_int8_scale_beyond_fp32(tmp_path):
    q = ROOT / "potentials" / "ultratiny-int8.safetensors"
    bad = edited(tmp_path, "scale.safetensors", lambda h, b: _set_f32(h, b, "head.0.weight.scale", 0, 3e38), source=q)
    r = run("eval", bad, xyz(tmp_path, MOLECULE), "-o", tmp_path / "o.xyz", "--precision", "fp32")
    expect_error(r, "beyond the fp32 range")


def test_d4_energy_scale_overflow(tmp_path):
    bad = edited(tmp_path, "scale.safetensors", set_meta("energy_scale", "1e308"))
    r = run("eval", bad, xyz(tmp_path, MOLECULE), "-o", tmp_path / "o.xyz", "--precision", "fp64")
    expect_error(r, f"model {bad}", "not finite")


# ------------------------------------------------------------------ D5
@pytest.mark.parametrize("key,value,text", [
    ("format_version", "4294967297", "out of the integer range"),
    ("hidden", "4294967392", "out of the integer range"),
    ("species", "[4294967297,6,7,8,9,16,17]", "not a JSON list of integers"),
    ("hidden", " 32", "is not an integer (plain decimal"),
    ("hidden", "+32", "is not an integer (plain decimal"),
    ("hidden", "032", "is not an integer (plain decimal"),
    ("head_hidden", "[16.5]", "not a JSON list of integers"),
    ("cutoff", "0x5", "is not a decimal number"),
    ("weight_dtype", "int8", "but weight_dtype int8 stores it as I8"),
])
def test_d5_metadata_is_strict(tmp_path, key, value, text):
    expect_error(run("info", edited(tmp_path, "m.safetensors", set_meta(key, value))), f"'{key}'" if "weight" not in key else "", text)


def test_d5_container_is_strict(tmp_path):
    def overlap(h, body):
        off = h["head.1.bias"]["data_offsets"]
        h["head.1.bias"]["data_offsets"] = [off[0] - 4, off[1] - 4]
    expect_error(run("info", edited(tmp_path, "o.safetensors", overlap)), "overlaps another tensor's data")
    trailing = tmp_path / "t.safetensors"
    trailing.write_bytes(MODEL.read_bytes() + b"\0" * 16)
    expect_error(run("info", trailing), "16 trailing bytes")
    header, body = split(MODEL.read_bytes())
    bom = tmp_path / "bom.safetensors"
    bom.write_bytes(join("\ufeff" + header, body))
    expect_error(run("info", bom), "does not start with '{'")
    dup = tmp_path / "dup.safetensors"
    dup.write_bytes(join('{"__metadata__":{"format":"painn-md"},' + header[1:], body))
    expect_error(run("info", dup), "has the key '__metadata__' twice")


# ------------------------------------------------------------------ D6 / D7
def test_d6_big_claims_fail_fast(tmp_path):
    def claim(h, body):
        h["__metadata__"]["hidden"] = "2048"
        h["__metadata__"]["layers"] = "8"
    expect_error(run("info", edited(tmp_path, "big.safetensors", claim), timeout=10), "has shape")
    expect_error(run("info", "/dev/zero", timeout=10), "not a regular file")
    s = xyz(tmp_path, "1\nProperties=species:S:1:pos:R:3:junk:R:100000000\nO 0 0 0 1\n")
    expect_error(run("eval", MODEL, s, "-o", tmp_path / "o.xyz", timeout=10), "bad Properties entry 'junk:R:100000000'")


def test_d7_messages_name_the_problem(tmp_path):
    expect_error(run("info", edited(tmp_path, "neg.safetensors", set_meta("hidden", "-1"))),
                 "hidden = -1 is out of range 1..4096")
    expect_error(run("info", tmp_path), f"model file '{tmp_path}' is a directory")
