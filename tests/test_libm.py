"""The model's exponentials and logarithms are the C library's, on every processor.

numpy's own `exp`, `log`, `expm1`, `log1p` and `power` (used on processors with
AVX-512) differ in the last bit from the C library's (used elsewhere): a world's
numbers then depended on the processor. Each use in the model is compared here
with Python's `math` (the C library's functions) element by element, and a whole
run with numpy's AVX-512 code switched off with one that may use it.
"""

import ast
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from experiments import load_config
from simulation import emergence, libm, run
from simulation.config import PROFILES
from simulation.discounting import discount_factors
from simulation.model import AllianceModel
from simulation.projects import hazard

from .fingerprint import digest

ROOT = Path(__file__).parents[1]
RNG = np.random.default_rng(17)
X = np.concatenate([RNG.uniform(-30.0, 3.0, 5000), [0.0, -0.0, 1e-300, 1e-12]])


@pytest.mark.parametrize(
    ("ours", "theirs", "x"),
    [
        (libm.exp, math.exp, X),
        (libm.expm1, math.expm1, X),
        (libm.log, math.log, np.abs(X) + 1e-300),
        (libm.log1p, math.log1p, -RNG.uniform(0.0, 1.0, 5000)),
        (lambda x: libm.power(1.035, x), lambda v: 1.035**v, X),
    ],
)
def test_each_function_is_the_c_librarys(ours, theirs, x):
    np.testing.assert_array_equal(ours(x), [theirs(v) for v in x])


def test_shapes_and_the_values_python_refuses():
    assert libm.exp(np.zeros((2, 3))).shape == (2, 3)
    assert libm.exp(np.empty(0)).shape == (0,)
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(libm.exp(np.array([800.0, 1.0])), [np.inf, math.e])
        np.testing.assert_array_equal(libm.log(np.array([0.0, 1.0])), [-np.inf, 0.0])
        np.testing.assert_array_equal(libm.log1p(np.array([-1.0])), [-np.inf])
        np.testing.assert_array_equal(libm.power(0.0, np.array([-1.0, 0.0])), [np.inf, 1.0])


def test_the_models_uses_are_the_c_librarys():
    years = np.arange(0, 400, 0.25)
    np.testing.assert_array_equal(discount_factors(years, 0.045), [1.045**-y for y in years])
    green = discount_factors(years, 0.035, "green_book")
    assert green[0] == 1.0 and np.all(np.diff(green) < 0)
    config = load_config(["seed=2"])
    model = AllianceModel(config).run()
    survival = config.model.survival
    rows = np.arange(model.projects.size)
    quality, diversification = model.projects.quality[rows], model.projects.diversification[rows]
    expected = [
        survival.base_hazard
        * math.exp(-survival.quality_effect * q - survival.diversification_effect * d)
        * 1.0
        for q, d in zip(quality, diversification, strict=True)
    ]
    np.testing.assert_array_equal(
        hazard(quality, diversification, np.zeros(rows.size, bool), survival), expected
    )
    table = emergence.start_probability_table(model.territories, config.scenario, config.model)
    em = config.model.emergence
    multiplier = np.array([config.scenario.profiles[p].start_rate_multiplier for p in PROFILES])
    rate = (em.base_rate * multiplier)[None, :] * (
        (1.0 + em.fragility_effect * model.territories.fragility.mean(axis=1))
        * (1.0 + em.engineering_effect * model.territories.engineering)
    )[:, None]
    np.testing.assert_array_equal(table, [[-math.expm1(-r) for r in row] for row in rate])


def test_a_world_is_the_same_without_numpys_avx512_code():
    # On a processor with AVX-512 numpy's own functions ran there and the C
    # library's with the features switched off; elsewhere both runs are the same.
    script = (
        "import json\n"
        "from experiments import load_config\n"
        "from simulation import run\n"
        "from tests.fingerprint import digest\n"
        "ds = run(load_config(['seed=3', 'accounting=green_book']))\n"
        "print(json.dumps({n: digest(ds[n].values) for n in sorted(ds.variables)}))\n"
    )
    environment = {**os.environ, "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}
    found = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    ds = run(load_config(["seed=3", "accounting=green_book"]))
    expected = {n: digest(ds[n].values) for n in sorted(ds.variables)}
    got = json.loads(found.stdout.splitlines()[-1])
    assert sorted(n for n in expected if got[n] != expected[n]) == []


# numpy functions whose bits depend on the processor: the transcendental ones
# (numpy's own SIMD code on some processors) and those that go through BLAS
# (OpenBLAS picks its kernels by processor; tests/test_linear.py).
PROCESSOR_DEPENDENT = {
    *("exp", "expm1", "exp2", "log", "log1p", "log2", "log10", "power", "float_power"),
    *("sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh"),
    *("cbrt", "cov", "corrcoef", "dot", "vdot", "inner", "matmul", "tensordot", "einsum"),
    *("linalg", "multivariate_normal"),
}
ALLOWED = {"simulation/libm.py"}  # numpy's special values where the C library raises


def processor_dependent_calls(path: Path) -> list[str]:
    """`np.<function>`, `numpy.<function>`, `.dot(`, `.multivariate_normal(` and `@` in a module."""
    found = []
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in PROCESSOR_DEPENDENT:
            is_numpy = isinstance(node.value, ast.Name) and node.value.id in ("np", "numpy")
            if is_numpy or node.attr in ("dot", "multivariate_normal", "linalg"):
                found.append(f"{name}:{node.lineno} {ast.unparse(node)}")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            found.append(f"{name}:{node.lineno} @")
    return found


def test_the_guard_finds_processor_dependent_calls(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text("import numpy as np\na = np.exp(x) + x @ y + np.linalg.inv(z) + x.dot(y)\n")
    found = sorted(call.split(" ")[1] for call in processor_dependent_calls(module))
    assert found == ["@", "np.exp", "np.linalg", "x.dot"]


def test_no_processor_dependent_arithmetic_in_the_project():
    # Powers written `a ** b` on arrays escape this check; the model's go through
    # `libm.power` (test_the_models_uses_are_the_c_librarys).
    found = [
        call
        for package in ("simulation", "calibration", "experiments")
        for path in sorted((ROOT / package).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in ALLOWED
        for call in processor_dependent_calls(path)
    ]
    assert found == []
