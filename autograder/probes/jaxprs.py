"""The program JAX traces from a student's function, summarised for the grader's rules.

`traced_call(fn, *args)` traces `fn` with `jax.make_jaxpr` and evaluates that very program
on the arguments. The values a probe records and the structure it summarises then come
from one program: a function that behaved differently when traced (say, a shortcut taken
only for concrete arrays) is judged on what it computes when traced.

`summary(closed)` walks every equation, nested programs (jit, scan, while, custom rules)
included, and counts them, counts loops, and finds the largest array the program holds.
`outside_custom_rules(closed, marker)` counts what JAX itself would differentiate: loops and
equations of one primitive that are not inside a `custom_jvp`/`custom_vjp` rule.
"""

from __future__ import annotations

import math

LOOP_PRIMITIVES = ("scan", "while")
# Equations whose derivative a custom rule gives: JAX never differentiates the program inside.
CUSTOM_RULE_PRIMITIVES = ("custom_jvp_call", "custom_vjp_call", "custom_vjp_call_jaxpr", "custom_lin")


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)  # the notebooks do the same; comparisons need it
    return jax


def as_fun(closed):
    """The function that evaluates a ClosedJaxpr (flat arguments, a list of outputs)."""
    jax = _jax()
    try:
        from jax.extend.core import jaxpr_as_fun
    except ImportError:  # older JAX
        jaxpr_as_fun = jax.core.jaxpr_as_fun
    return jaxpr_as_fun(closed)


def traced_call(fn, *args):
    """(fn(*args) computed by its traced program, the ClosedJaxpr)."""
    jax = _jax()
    closed, shape = jax.make_jaxpr(fn, return_shape=True)(*args)
    flat = as_fun(closed)(*jax.tree_util.tree_leaves(args))
    return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(shape), flat), closed


def equations(closed, into_custom_rules: bool = True):
    """Every equation of a (Closed)Jaxpr, nested programs included (those inside custom
    derivative rules only if into_custom_rules)."""
    stack = [closed]
    while stack:
        j = stack.pop()
        j = getattr(j, "jaxpr", j)  # a ClosedJaxpr holds its Jaxpr
        for eqn in getattr(j, "eqns", ()):
            yield eqn
            if not into_custom_rules and str(eqn.primitive.name) in CUSTOM_RULE_PRIMITIVES:
                continue
            for value in eqn.params.values():
                for v in value if isinstance(value, (tuple, list)) else (value,):
                    if hasattr(v, "eqns") or hasattr(getattr(v, "jaxpr", None), "eqns"):
                        stack.append(v)


def _shape(var) -> tuple[int, ...]:
    shape = getattr(getattr(var, "aval", None), "shape", ())
    return tuple(int(d) for d in shape)


def summary(closed) -> dict:
    """{"equations", "loops", "largest_shape", "largest_size"} of a traced program."""
    count, loops = 0, 0
    largest: tuple[int, ...] = ()
    jaxpr = getattr(closed, "jaxpr", closed)
    candidates = list(jaxpr.invars) + list(jaxpr.constvars)
    for eqn in equations(closed):
        count += 1
        loops += str(eqn.primitive.name) in LOOP_PRIMITIVES
        candidates += list(eqn.outvars)
    for var in candidates:
        shape = _shape(var)
        if math.prod(shape) > math.prod(largest):
            largest = shape
    return {
        "equations": count,
        "loops": loops,
        "largest_shape": list(largest),
        "largest_size": int(math.prod(largest)),
    }


def outside_custom_rules(closed, marker: str) -> dict:
    """{"loops", "marked", "custom_rules"}: the loops and the `marker` equations that JAX would
    differentiate itself (not inside a custom derivative rule), and the custom rules seen."""
    loops = marked = rules = 0
    for eqn in equations(closed, into_custom_rules=False):
        name = str(eqn.primitive.name)
        rules += name in CUSTOM_RULE_PRIMITIVES
        loops += name in LOOP_PRIMITIVES
        marked += name == marker
    return {"loops": loops, "marked": marked, "custom_rules": rules}
