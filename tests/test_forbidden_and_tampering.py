"""Static checks on student code: forbidden AD/CAS libraries, and code that names the grader."""

from __future__ import annotations

import pytest

from autograder.grading.tampering import tampering_reasons
from autograder.rules import AD_LIBRARIES
from autograder.student_source import forbidden_uses


@pytest.mark.parametrize(
    "src, others, expected",
    [
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
        (
            "class Dual:\n    def sin(self): return np.sin(self.value)",
            ["import numpy as np", "import jax"],
            [],
        ),
        ("print('jax is great')", [], []),
        ("def broken(:\nimport sympy as sp", [], ["sympy"]),
    ],
)
def test_forbidden_uses(src, others, expected):
    assert forbidden_uses(src, others, AD_LIBRARIES) == expected


@pytest.mark.parametrize(
    "src, flagged",
    [
        ("import autograder.probes.dual_numbers as p", True),
        ("m = __import__('autograder')", True),
        ("sys.modules['autograder.checks'] = None", True),
        ("os.environ['AUTODIFF_PROBE_SEED']", True),
        ("display({'application/vnd.autodiff-course.probe+json': {}}, raw=True)", True),
        ("# I hope the autograder likes this\nx = 1", False),
        ("print('the autograder is strict')", False),
        ("class Dual:\n    pass", False),
    ],
)
def test_tampering(src, flagged):
    assert bool(tampering_reasons(src)) == flagged


@pytest.mark.parametrize(
    "src, others, flagged",
    [
        ("def j(f, x):\n    return jax.jacfwd(f)(x)", ["import jax"], True),
        ("def j(f, x):\n    import jax as J\n    return J.hessian(f)(x)", [], True),
        ("def j(f, x):\n    return jf(f)(x)", ["from jax import jacfwd as jf"], True),
        ("def j(f, x):\n    jacobian = jnp.stack(cols, axis=1)\n    return jacobian", ["import jax"], False),
        ("def j(f, x):\n    return np.hessian", ["import numpy as np"], False),
        ("def j(f, x):\n    '''not jax.jacrev'''\n    return 1  # nor jax.jacfwd", ["import jax"], False),
    ],
)
def test_named_functions_are_found_by_what_they_are_bound_to(src, others, flagged):
    from autograder.rules import NO_JACOBIAN_BUILDERS

    assert bool(NO_JACOBIAN_BUILDERS.static_violations([src], others)) == flagged
