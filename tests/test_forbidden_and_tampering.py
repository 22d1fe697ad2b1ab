"""Static checks on student code: forbidden AD/CAS libraries, and code that names the grader."""
from __future__ import annotations

import pytest

from autograder.grading.forbidden import forbidden_uses
from autograder.grading.tampering import tampering_reasons


@pytest.mark.parametrize("src, others, expected", [
    ("import jax\nclass Dual: pass", [], ["jax"]),
    ("from torch import tensor", [], ["torch"]),
    ("import sympy as sp", [], ["sympy"]),
    ("import tensorflow.math", [], ["tensorflow"]),
    ("from autograd import grad", [], ["autograd"]),
    ("m = __import__('jax')", [], ["jax"]),
    ("import importlib\nm = importlib.import_module('torch.func')", [], ["torch"]),
    ("exec('import sympy')", [], ["sympy"]),
    ("%pip install jax\nclass Dual: pass", [], []),
    ("def sin(self):\n    return jnp.sin(self.value)", ["import jax.numpy as jnp"], ["jax"]),
    ("def f(grad):\n    return grad", ["from jax import grad"], []),
    ("grad = 3\ny = grad", ["from jax import grad"], []),
    ("class Dual:\n    def sin(self): return np.sin(self.value)", ["import numpy as np", "import jax"], []),
    ("print('jax is great')", [], []),
    ("def broken(:\nimport sympy as sp", [], ["sympy"]),
])
def test_forbidden_uses(src, others, expected):
    assert forbidden_uses(src, others) == expected


@pytest.mark.parametrize("src, flagged", [
    ("import autograder.probes.dual_numbers as p", True),
    ("m = __import__('autograder')", True),
    ("sys.modules['autograder.checks'] = None", True),
    ("os.environ['AUTODIFF_PROBE_SEED']", True),
    ("display({'application/vnd.autodiff-course.probe+json': {}}, raw=True)", True),
    ("# I hope the autograder likes this\nx = 1", False),
    ("print('the autograder is strict')", False),
    ("class Dual:\n    pass", False),
])
def test_tampering(src, flagged):
    assert bool(tampering_reasons(src)) == flagged
