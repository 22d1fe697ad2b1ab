# %% [markdown]
# # 4. JAX: transformations of functions
#
# *Automatic differentiation, from dual numbers to JAX* · notebook 4 of 6
#
# In notebook 1 a dual number carried its derivative through a program; in notebook 3
# PyTorch recorded a tape and replayed it backwards. JAX takes a third view: it transforms
# **functions**. `jax.grad(f)` is a new Python function that returns the gradient of `f`;
# `jax.jit(f)` is a compiled version of `f`; `jax.vmap(f)` is a version of `f` that works on a
# whole batch. They compose: for a loss `loss(w, x, y)` of one example,
# `jax.jit(jax.vmap(jax.grad(loss), in_axes=(None, 0, 0)))` is a fast function of
# per-example gradients (`in_axes` says that `w` is shared while `x` and `y` are mapped row
# by row; Part 3 explains it).
#
# You will:
# 1. use `grad`, `argnums`, gradients of dictionaries (pytrees), `value_and_grad` and
#    derivatives of any order;
# 2. see what `jit` does when it **traces** a function, why a Python loop makes compilation
#    slow and `lax.scan` does not, and fit the RLC circuit of notebooks 2 and 3 once more;
# 3. get per-example gradients with `vmap`;
# 4. estimate a Gaussian's mean and spread by maximum likelihood;
# 5. send a gold-hunting robot downhill, and see how the learning rate decides its fate.
#
# **How to work.** Run the cells from top to bottom. Cells marked *Exercise* contain
# `raise NotImplementedError(...)`: replace that line with your code. The cell after each
# exercise is a self-check; if an `assert` fails, its message tells you what to look at.
# Your notebook is graded by hidden tests that try your code on inputs you have not seen.
# They ask for exact derivatives: a finite difference, at any step, is far less accurate
# than JAX in float64 and does not pass.

# %% readonly="setup"
import time

import ipywidgets as widgets
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from scipy.integrate import solve_ivp

jax.config.update("jax_enable_x64", True)  # JAX defaults to float32; the comparisons below need float64


def central_difference(f, x, h=1e-6):
    """(f(x + h) - f(x - h)) / (2 h): the second opinion on every derivative in this notebook."""
    return (f(x + h) - f(x - h)) / (2 * h)


# %% [markdown]
# ## Part 1. The basic transformations
#
# ### `grad` turns a function into its derivative
#
# Write $f$ with `jax.numpy` (imported as `jnp`, it mirrors NumPy) and `jax.grad(f)` is a
# function that computes $f'$. Take $f(x) = 3x^2 + 4x - 3$, whose derivative is $6x + 4$:

# %% tags=["demo"]
def poly(x):
    return 3 * x ** 2 + 4 * x - 3


dpoly = jax.grad(poly)
print("f'(3) by jax.grad:          ", dpoly(3.0))
print("6 * 3 + 4:                  ", 6 * 3.0 + 4)
print("f'(3) by central difference:", central_difference(poly, 3.0))
assert np.isclose(dpoly(3.0), 22.0, rtol=1e-14)

# %% [markdown]
# `dpoly` is an ordinary function: we can call it anywhere, for instance in gradient descent.
# The minimum is where $6x + 4 = 0$, at $x = -2/3$. And since `dpoly` is a function, `grad`
# applies to it again: $f'' = 6 > 0$ says the point is a minimum, not a maximum.

# %% tags=["demo"]
x = 3.0
for _ in range(40):
    x = x - 0.1 * dpoly(x)
print(f"gradient descent ends at x = {float(x):.12f}; -2/3 = {-2 / 3:.12f}")
print("f''(x) by jax.grad twice:", jax.grad(dpoly)(x))
assert np.isclose(x, -2 / 3, rtol=1e-12) and jax.grad(dpoly)(x) == 6.0

# %% [markdown]
# ### `argnums`: which argument to differentiate by
#
# `grad` differentiates by the first argument unless `argnums` says otherwise. A tuple of
# positions gives a tuple of partial derivatives. For $g(x, y) = x^2 y + \sin y$:
# $\partial g/\partial x = 2xy$ and $\partial g/\partial y = x^2 + \cos y$.

# %% tags=["demo"]
def g(x, y):
    return x ** 2 * y + jnp.sin(y)


x0, y0 = 1.5, 0.7
by_x = jax.grad(g)(x0, y0)                      # argnums=0 is the default
by_y = jax.grad(g, argnums=1)(x0, y0)
both = jax.grad(g, argnums=(0, 1))(x0, y0)      # a tuple (dg/dx, dg/dy)
print("dg/dx:", by_x, "  2xy:", 2 * x0 * y0)
print("dg/dy:", by_y, "  x^2 + cos y:", x0 ** 2 + np.cos(y0))
print("both: ", both)
assert np.allclose(both, (2 * x0 * y0, x0 ** 2 + np.cos(y0)), rtol=1e-14)
assert np.isclose(by_y, central_difference(lambda y: g(x0, y), y0), rtol=1e-8)

# %% [markdown]
# ### Gradients of dictionaries: pytrees
#
# Models have many parameters, and it is convenient to keep them in a dictionary (or lists,
# tuples, nested combinations of them). JAX calls such a container a **pytree**, its arrays
# the *leaves*. The gradient with respect to a pytree is a pytree **of the same shape**:
# one gradient array per leaf, under the same key.
#
# Our model predicts $\tanh(X w + b)$ from three features and is scored by the mean squared
# error. The parameters are `{"w": 3 weights, "b": one bias}`.

# %% readonly="pytree_model"
def model_loss(params, X, y):
    """Mean squared error of the prediction tanh(X @ w + b), for params = {'w': (3,), 'b': ()}."""
    return jnp.mean((jnp.tanh(X @ params["w"] + params["b"]) - y) ** 2)


rng = np.random.default_rng(4)
X_demo = jnp.asarray(rng.normal(size=(20, 3)))
y_demo = jnp.tanh(X_demo @ jnp.array([0.5, -1.0, 2.0]) + 0.3) + 0.05 * jnp.asarray(rng.normal(size=20))
params_demo = {"w": jnp.zeros(3), "b": jnp.float64(0.0)}

# %% tags=["demo"]
grads = jax.grad(model_loss)(params_demo, X_demo, y_demo)
print("the gradient is a dict too:", grads)
print("its shapes:", jax.tree_util.tree_map(jnp.shape, grads))

# %% [markdown]
# `jax.tree_util.tree_map` applies a function to every leaf; one gradient-descent step on a
# pytree is `tree_map(lambda p, g: p - lr * g, params, grads)`.
#
# Training loops usually need the loss **and** its gradient. `jax.value_and_grad(f)` returns
# both from a single pass, instead of evaluating `f` once more.
#
# ### Exercise `pytree_grads`
#
# Write `loss_and_grads(params, X, y)`, returning the pair `(value, grads)`: the value of
# `model_loss` and its gradient with respect to `params` (a dict with the keys `"w"` and
# `"b"`). Use `jax.value_and_grad`.

# %% answer="pytree_grads"
def loss_and_grads(params, X, y):
    """(model_loss(params, X, y), its gradient by params as a dict like params)."""
    ### BEGIN SOLUTION
    return jax.value_and_grad(model_loss)(params, X, y)
    ### END SOLUTION


# %% test="test_pytree_grads"
value, grads = loss_and_grads(params_demo, X_demo, y_demo)
assert isinstance(grads, dict) and set(grads) == {"w", "b"}, (
    f"grads should be a dict with the keys 'w' and 'b', like params; got {type(grads).__name__}"
    + (f" with keys {sorted(grads)}" if isinstance(grads, dict) else ""))
assert np.isclose(value, model_loss(params_demo, X_demo, y_demo)), "the value should be model_loss(params, X, y)"
loss_at = jax.jit(model_loss)  # compiled once: the differences below evaluate it eight times
for i in range(3):  # a central difference on each weight, then on the bias
    fd = central_difference(lambda t: loss_at({"w": params_demo["w"].at[i].set(t), "b": params_demo["b"]},
                                              X_demo, y_demo), 0.0)
    assert np.isclose(grads["w"][i], fd, rtol=1e-6), (
        f"grads['w'][{i}] should be about {fd:.8f} (central difference), got {grads['w'][i]}: differentiate "
        "model_loss by its first argument, params")
fd = central_difference(lambda t: loss_at({"w": params_demo["w"], "b": t}, X_demo, y_demo), 0.0)
assert np.isclose(grads["b"], fd, rtol=1e-6), f"grads['b'] should be about {fd:.8f}, got {grads['b']}"
### BEGIN HIDDEN TESTS
from autograder.probes.jax_basics import probe_pytree_grads

probe_pytree_grads(loss_and_grads)
### END HIDDEN TESTS

# %% [markdown]
# ### Derivatives of any order
#
# `jax.grad(f)` is a function like any other, so `jax.grad` applies to it again. For
# $\tanh$ the first three derivatives have closed forms in $t = \tanh x$:
#
# $$\tanh' = 1 - t^2, \qquad \tanh'' = -2t(1 - t^2), \qquad \tanh''' = (6t^2 - 2)(1 - t^2).$$
#
# `grad` wants a function with one scalar output; `jax.vmap` (Part 3) evaluates it at every
# point of an array.

# %% tags=["demo"]
d1 = jax.grad(jnp.tanh)
d2 = jax.grad(d1)
d3 = jax.grad(d2)

xs = jnp.linspace(-4.0, 4.0, 401)
t = np.tanh(np.asarray(xs))
closed = {1: 1 - t ** 2, 2: -2 * t * (1 - t ** 2), 3: (6 * t ** 2 - 2) * (1 - t ** 2)}
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(xs, t, "k", label="tanh")
for n, dn in [(1, d1), (2, d2), (3, d3)]:
    by_jax = jax.jit(jax.vmap(dn))(xs)
    assert np.allclose(by_jax, closed[n], atol=1e-14), f"derivative {n} of tanh disagrees with its closed form"
    ax.plot(xs, by_jax, label=f"derivative {n} (jax.grad applied {n} times)")
    ax.plot(xs[::25], closed[n][::25], "k.", ms=4)
ax.plot([], [], "k.", label="closed forms")
ax.set(xlabel="x", ylabel="value", title="tanh and its derivatives")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ### Exercise `nth_derivative`
#
# Write `nth_derivative(f, n)`, returning the function $f^{(n)}$ for a scalar function `f`
# of one argument and an integer `n >= 0` (`n = 0` returns `f` itself).

# %% answer="nth_derivative"
def nth_derivative(f, n):
    """The n-th derivative of f, as a function."""
    ### BEGIN SOLUTION
    for _ in range(n):
        f = jax.grad(f)
    return f
    ### END SOLUTION


# %% test="test_nth_derivative"
tt = np.tanh(0.5)
for n, want in [(0, tt), (1, 1 - tt ** 2), (2, -2 * tt * (1 - tt ** 2)), (3, (6 * tt ** 2 - 2) * (1 - tt ** 2))]:
    got = nth_derivative(jnp.tanh, n)(0.5)
    assert np.isclose(got, want, rtol=1e-12), (
        f"nth_derivative(tanh, {n})(0.5) should be {want:.10f}, got {got}: apply jax.grad exactly n times")
got = nth_derivative(lambda x: x ** 5, 4)(2.0)
assert np.isclose(got, 120 * 2.0), f"the 4th derivative of x**5 at 2 is 120 * 2 = 240, got {got}"
### BEGIN HIDDEN TESTS
from autograder.probes.jax_basics import probe_nth_derivative

probe_nth_derivative(nth_derivative)
### END HIDDEN TESTS

# %% [markdown]
# ### Why integer inputs fail
#
# A derivative describes what happens when the input moves by a tiny amount. An integer
# cannot move by a tiny amount, so JAX refuses to differentiate with respect to one:

# %% tags=["demo"]
try:
    dpoly(3)
except TypeError as err:
    print("dpoly(3) fails:", str(err).splitlines()[0])
print("dpoly(3.0) =", dpoly(3.0))

# %% [markdown]
# The cure is to pass a float (`3.0`, or `jnp.asarray(x, dtype=float)` for arrays). It is
# a dtype rule, not a limit of AD: the same function of the same value works.
#
# ## Part 2. `jit` and what tracing means
#
# ### Tracing
#
# `jax.jit(f)` does not compile `f` by reading its source. On the first call it **traces**
# `f`: it runs the Python function once on *tracers*, stand-in objects that carry only a
# shape and a dtype, and records every `jnp` operation they meet. The recording, called a
# *jaxpr*, goes to the XLA compiler; later calls with the same shapes and dtypes run the
# compiled code and never execute the Python body again. A `print` inside shows this:

# %% tags=["demo"]
@jax.jit
def scaled_norm(v, a):
    print("  tracing: v =", v, " a =", a)
    return a * jnp.sqrt(jnp.sum(v ** 2))


print("first call:")
print("  result", scaled_norm(jnp.array([3.0, 4.0]), 2.0))
print("same shapes, new values:")
print("  result", scaled_norm(jnp.array([6.0, 8.0]), 0.5))
print("a new shape:")
print("  result", scaled_norm(jnp.array([1.0, 2.0, 2.0]), 1.0))

# %% [markdown]
# The print ran at the first call and at the new shape, not in between: Python ran only
# while JAX traced. A new *value* of the same shape (here `a = 0.5`) reuses the trace; a new
# shape or dtype traces again. What JAX recorded is readable with `jax.make_jaxpr`. It
# needs a trace too, but it reuses the one from the first call, so no print appears:

# %% tags=["demo"]
print(jax.make_jaxpr(scaled_norm)(jnp.array([3.0, 4.0]), 2.0))

# %% [markdown]
# Two consequences follow. Python `if` and `while` on a traced value fail, because a tracer
# has no value to decide with (`jax.lax.cond`, `jax.lax.while_loop` and `jnp.where` record a
# decision instead). And a Python `for` loop is simply run while tracing: the jaxpr holds one
# copy of the loop body per iteration. The loop is **unrolled**.
#
# ### The circuit again
#
# The model of notebooks 2 and 3, now in `jnp`: $L\,Q'' + R\,Q' + Q/C = E$ with the state
# $s = [Q', Q]$ starting at $[0, 0]$, one classic RK4 step between two of the 200 observation
# times, and the same measurements (SciPy's solution at $R = 1$, $L = 10$ plus noise of
# standard deviation 2, drawn with the same seed).

# %% readonly="rlc_model"
C = 2.0                              # capacitance (known)
E = 60.0                             # driving voltage (known, constant)
TIMES = np.linspace(0.0, 200.0, 200)  # the 200 observation times, t = 0 included
DT = TIMES[1] - TIMES[0]             # their spacing, 200/199
TRUE_R, TRUE_L = 1.0, 10.0


def rlc_rhs(state, R, L):
    """d/dt [Q', Q]."""
    dq, q = state[0], state[1]
    return jnp.stack([(E - R * dq - q / C) / L, dq])


def rk4_step(state, R, L):
    """One classic RK4 step of length DT."""
    k1 = rlc_rhs(state, R, L)
    k2 = rlc_rhs(state + DT / 2 * k1, R, L)
    k3 = rlc_rhs(state + DT / 2 * k2, R, L)
    k4 = rlc_rhs(state + DT * k3, R, L)
    return state + DT / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


_exact = solve_ivp(lambda t, s: [(E - TRUE_R * s[0] - s[1] / C) / TRUE_L, s[0]], (TIMES[0], TIMES[-1]),
                   [0.0, 0.0], t_eval=TIMES, method="DOP853", rtol=1e-10, atol=1e-10)
Q_exact = _exact.y[1]
Qhat = Q_exact + np.random.default_rng(2024).normal(0.0, 2.0, TIMES.size)  # the data of notebook 2

# %% [markdown]
# ### The cost of jitting a Python loop
#
# Here is the obvious way to simulate: a Python loop of RK4 steps. Jitted, it is traced into
# one long jaxpr, and XLA must compile every copy of the step. We measure the compile cost
# (tracing included) as the time of the first call minus the time of a later one.

# %% tags=["demo"]
def charges_python_loop(R, L, n_steps):
    """Q at the first n_steps + 1 times, by a Python loop (unrolled when traced)."""
    state = jnp.zeros(2)
    qs = [state[1]]
    for _ in range(n_steps):
        state = rk4_step(state, R, L)
        qs.append(state[1])
    return jnp.stack(qs)


def first_and_later_call(fn, *args, repeats=5):
    """Seconds of the first call (trace + compile + run) and of the fastest later call."""
    start = time.perf_counter()
    jax.block_until_ready(fn(*args))  # JAX runs asynchronously: wait for the result
    first = time.perf_counter() - start
    later = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        later.append(time.perf_counter() - start)
    return first, min(later)


LOOP_STEPS = (2, 4, 6)
jitted_loop = jax.jit(charges_python_loop, static_argnums=2)  # n_steps is static: one compile per value
loop_compile, loop_size = [], []
for n in LOOP_STEPS:
    first, later = first_and_later_call(jitted_loop, 1.0, 10.0, n)
    loop_compile.append(first - later)
    loop_size.append(len(jax.make_jaxpr(charges_python_loop, static_argnums=2)(1.0, 10.0, n).eqns))
    print(f"Python loop, {n:3d} steps: jaxpr of {loop_size[-1]:4d} operations, "
          f"compile {first - later:5.2f} s, run {later * 1e6:4.0f} us")
per_step = (loop_size[-1] - loop_size[0]) / (LOOP_STEPS[-1] - LOOP_STEPS[0])
print(f"each step adds {per_step:.0f} operations: 199 steps would make "
      f"{loop_size[0] + per_step * (199 - LOOP_STEPS[0]):.0f}")

# %% [markdown]
# The jaxpr grows in proportion to the number of steps, and the compile time grows with it.
# We stop at 6 steps: all 199 would take minutes, far longer than the rest of this
# notebook. A `jit` around a Python-loop RK4 is a common mistake: the first call compiles
# for minutes before a single step runs.
#
# ### `lax.scan`: a loop that is traced once
#
# `jax.lax.scan(step, carry, xs)` is a loop that JAX understands. It traces `step` **once**,
# then runs it for every element of `xs` (or `length` times), threading the `carry` from one
# step to the next and stacking the per-step outputs:
#
# ```python
# def scan(step, carry, xs):           # what lax.scan computes, in plain Python
#     outputs = []
#     for x in xs:
#         carry, out = step(carry, x)
#         outputs.append(out)
#     return carry, stack(outputs)
# ```
#
# A savings account with monthly deposits, for example, and the derivative of the final
# balance by the interest rate:

# %% tags=["demo"]
def balances(rate, deposits):
    def month(balance, deposit):
        new = balance * (1 + rate) + deposit
        return new, new               # (carry to the next month, output of this month)
    _, history = jax.lax.scan(month, 0.0, deposits)
    return history


deposits = jnp.full(24, 100.0)
final_by_rate = jax.grad(lambda r: balances(r, deposits)[-1])
print("balance after 24 months at 1%:", balances(0.01, deposits)[-1])
print("d balance / d rate:", final_by_rate(0.01), " central difference:",
      central_difference(lambda r: balances(r, deposits)[-1], 0.01))
print(jax.make_jaxpr(balances)(0.01, deposits))

# %% [markdown]
# However long the loop, the jaxpr holds one `scan` with the body inside it, traced once.
#
# ### Exercise `rlc_scan`
#
# 1. Write `charges(R, L)`: $Q$ at all 200 `TIMES`, starting with $Q(0) = 0$, by taking
#    199 `rk4_step`s inside `jax.lax.scan`. Carry the state; output its charge `state[1]`;
#    put the initial charge in front (`jnp.concatenate`). No Python loop.
# 2. Write `rlc_loss(R, L, Qhat)`: the mean of $(Q(R, L) - \hat Q)^2$ over all 200 times.
# 3. Write `dloss_jax(Qhat, R, L)`, returning the gradient
#    $[\partial\,\text{loss}/\partial R,\ \partial\,\text{loss}/\partial L]$ of that loss, as an
#    array of two floats. The fit calls it many times, so it is jitted (the decorator): write
#    it with `jax.grad` and `jnp` only, no NumPy, and no `float()` of a traced value.

# %% answer="rlc_scan"
def charges(R, L):
    """Q at every time of TIMES (Q(0) = 0 first), by RK4 inside jax.lax.scan."""
    ### BEGIN SOLUTION
    def step(state, _):
        new = rk4_step(state, R, L)
        return new, new[1]

    _, qs = jax.lax.scan(step, jnp.zeros(2), None, length=len(TIMES) - 1)
    return jnp.concatenate([jnp.zeros(1), qs])
    ### END SOLUTION


def rlc_loss(R, L, Qhat):
    """mean((Q(R, L) - Qhat)**2) over the 200 times."""
    ### BEGIN SOLUTION
    return jnp.mean((charges(R, L) - Qhat) ** 2)
    ### END SOLUTION


@jax.jit
def dloss_jax(Qhat, R, L):
    """[d loss / dR, d loss / dL] as an array of two floats."""
    ### BEGIN SOLUTION
    return jnp.stack(jax.grad(rlc_loss, argnums=(0, 1))(R, L, Qhat))
    ### END SOLUTION

# %% test="test_rlc_scan"
Q = np.asarray(charges(TRUE_R, TRUE_L))
assert Q.shape == (200,), f"charges(R, L) should give the 200 values Q(t_0), ..., Q(t_199), got shape {Q.shape}"
assert Q[0] == 0.0, f"the first value is the initial charge Q(0) = 0, got {Q[0]}"
assert np.max(np.abs(Q - Q_exact)) < 0.2, (
    "charges(1, 10) should follow SciPy's accurate solution to within 0.2; "
    f"the largest gap is {np.max(np.abs(Q - Q_exact)):.3g}: one rk4_step per interval, output state[1]")
jaxpr_text = str(jax.make_jaxpr(charges)(1.0, 10.0))
assert "scan" in jaxpr_text and jaxpr_text.count("\n") < 300, (
    f"charges is traced into {jaxpr_text.count(chr(10))} lines of jaxpr"
    + (" with a scan, but far more than one RK4 step needs: is part of the loop still in Python?"
       if "scan" in jaxpr_text else " without a scan: use jax.lax.scan, not a Python loop"))
got = np.asarray(dloss_jax(Qhat, 1.5, 8.0))
simulate = jax.jit(charges)  # one compile for the four simulations below
fd = np.array([central_difference(lambda R: np.mean((np.asarray(simulate(R, 8.0)) - Qhat) ** 2), 1.5),
               central_difference(lambda L: np.mean((np.asarray(simulate(1.5, L)) - Qhat) ** 2), 8.0)])
assert got.shape == (2,), f"dloss_jax should return two numbers [dR, dL], got shape {got.shape}"
assert np.allclose(got, fd, rtol=1e-5), (
    f"dloss_jax(Qhat, 1.5, 8) should be close to the central differences {fd}, got {got}"
    + (": the sign is flipped" if np.allclose(-got, fd, rtol=1e-5) else ""))
### BEGIN HIDDEN TESTS
from autograder.probes.jax_basics import probe_rlc_scan

probe_rlc_scan(charges, dloss_jax)
### END HIDDEN TESTS

# %% [markdown]
# ### The compile cost of `scan`
#
# Now the same measurement for your `charges`, all 199 steps, and its gradient:

# %% tags=["demo"]
# new functions (lambdas), so that nothing compiled earlier in this notebook is reused
charges_jit = jax.jit(lambda R, L: charges(R, L))
scan_first, scan_later = first_and_later_call(charges_jit, 1.0, 10.0)
grad_first, grad_later = first_and_later_call(jax.jit(jax.grad(lambda R, L: rlc_loss(R, L, Qhat), argnums=(0, 1))),
                                              1.0, 10.0)
print(f"lax.scan, 199 steps:            compile {scan_first - scan_later:5.2f} s, run {scan_later * 1e6:6.0f} us")
print(f"its gradient (reverse mode):    compile {grad_first - grad_later:5.2f} s, run {grad_later * 1e6:6.0f} us")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(LOOP_STEPS, loop_compile, "o-", label="jit of a Python loop (unrolled)")
ax.axhline(scan_first - scan_later, color="C1", label="jit of lax.scan, all 199 steps")
ax.set(xlabel="RK4 steps compiled", ylabel="compile time (s)", title="What jit compiles: copies or one body")
ax.legend(fontsize=8)
plt.show()
assert np.allclose(jitted_loop(1.0, 10.0, LOOP_STEPS[-1]), charges_jit(1.0, 10.0)[:LOOP_STEPS[-1] + 1],
                   rtol=1e-13), "the loop and the scan should give the same numbers"

# %% [markdown]
# The scan compiles all 199 steps in less time than the Python loop needs for a few, and both
# compute the same numbers. Its gradient takes longer to compile (the reverse pass is a second
# scan, running backwards), but it too is compiled once, whatever the number of steps.
#
# ### The same gradient as notebook 2
#
# In notebook 2 you computed this gradient with dual numbers, carried forwards through the
# same RK4 steps. Here is a compact `Dual` whose derivative part is a NumPy array with one
# entry per parameter, so that a single pass gives both $\partial/\partial R$ and
# $\partial/\partial L$. The initial state $[0, 0]$ does not depend on $R$ or $L$, so its
# derivative part is zero.

# %% readonly="dual_parity"
class Dual:
    """value + derivative * eps, eps**2 = 0; derivative is an array (one entry per parameter)."""

    def __init__(self, value, derivative):
        self.value, self.derivative = value, np.asarray(derivative, dtype=float)

    def _split(self, other):
        return (other.value, other.derivative) if isinstance(other, Dual) else (other, 0.0)

    def __add__(self, other):
        v, d = self._split(other)
        return Dual(self.value + v, self.derivative + d)

    __radd__ = __add__

    def __sub__(self, other):
        v, d = self._split(other)
        return Dual(self.value - v, self.derivative - d)

    def __rsub__(self, other):
        return Dual(other - self.value, -self.derivative)

    def __mul__(self, other):
        v, d = self._split(other)
        return Dual(self.value * v, self.derivative * v + self.value * d)

    __rmul__ = __mul__

    def __truediv__(self, other):
        v, d = self._split(other)
        return Dual(self.value / v, (self.derivative * v - self.value * d) / v ** 2)

    def __rtruediv__(self, other):
        return Dual(other / self.value, -other * self.derivative / self.value ** 2)


def dual_dloss(Qhat, R, L):
    """The gradient of notebook 2: dual numbers through RK4 on the pair (Q', Q)."""
    R, L = Dual(R, [1.0, 0.0]), Dual(L, [0.0, 1.0])
    dq = q = Dual(0.0, [0.0, 0.0])  # the start does not depend on R or L
    rhs = lambda dq, q: ((E - R * dq - q / C) / L, dq)  # noqa: E731
    qs = [q]
    for _ in range(len(TIMES) - 1):
        a1, b1 = rhs(dq, q)
        a2, b2 = rhs(dq + DT / 2 * a1, q + DT / 2 * b1)
        a3, b3 = rhs(dq + DT / 2 * a2, q + DT / 2 * b2)
        a4, b4 = rhs(dq + DT * a3, q + DT * b3)
        dq, q = dq + DT / 6 * (a1 + 2 * a2 + 2 * a3 + a4), q + DT / 6 * (b1 + 2 * b2 + 2 * b3 + b4)
        qs.append(q)
    values = np.array([x.value for x in qs])
    derivatives = np.array([x.derivative for x in qs])  # shape (200, 2)
    return 2 * np.mean((values - Qhat)[:, None] * derivatives, axis=0)


# %% tags=["demo"]
print(f"{'(R, L)':<12}{'dual numbers (notebook 2)':>42}{'JAX, lax.scan':>42}{'rel. diff':>11}")
for R0, L0 in [(1.5, 8.0), (0.7, 14.0), (3.0, 6.0)]:
    by_dual = dual_dloss(Qhat, R0, L0)
    by_jax = np.asarray(dloss_jax(Qhat, R0, L0))
    rel = np.max(np.abs(by_dual - by_jax)) / np.max(np.abs(by_dual))
    assert rel < 1e-10, f"dual numbers and JAX disagree at {(R0, L0)}: relative difference {rel:.1e}"
    print(f"{str((R0, L0)):<12}{str(by_dual):>42}{str(by_jax):>42}{rel:>11.1e}")

# %% [markdown]
# Forward mode with duals and JAX's reverse mode agree to 14 digits or more: two different
# algorithms, one derivative of one program.
#
# ### The fit
#
# Gradient descent from notebook 2's start $(R, L) = (3, 6)$ with its learning rate and
# number of steps. `vmap` (next part) draws the loss landscape: `rlc_loss` mapped over a
# grid of $R$ and $L$, with one compiled scan for all of it.

# %% tags=["demo"]
P0, ALPHA, N_ITER = np.array([3.0, 6.0]), 4e-3, 60  # 4e-3: below the stability limit 2/434 (notebook 2)
path = [P0]
for _ in range(N_ITER):
    path.append(path[-1] - ALPHA * np.asarray(dloss_jax(Qhat, *path[-1])))
path = np.array(path)
grid_losses = jax.jit(jax.vmap(rlc_loss, in_axes=(0, 0, None)))  # R and L mapped, Qhat shared
print(f"after {N_ITER} steps: R = {path[-1, 0]:.4f}, L = {path[-1, 1]:.4f}, "
      f"loss {float(grid_losses(path[-1:, 0], path[-1:, 1], Qhat)[0]):.3f} (the noise variance is 4)")

R_grid, L_grid = np.meshgrid(np.linspace(0.3, 5.0, 50), np.linspace(4.0, 14.0, 50))
grid_loss = grid_losses(R_grid.ravel(), L_grid.ravel(), Qhat)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
cs = ax1.contourf(R_grid, L_grid, np.log10(np.asarray(grid_loss).reshape(R_grid.shape)), levels=30)
fig.colorbar(cs, ax=ax1, label="log10 loss")
ax1.plot(path[:, 0], path[:, 1], "r.-", ms=4, label="gradient descent")
ax1.plot(TRUE_R, TRUE_L, "*", color="orange", ms=14, label="R = 1, L = 10")
ax1.set(xlabel="R", ylabel="L", title="The fit, with JAX gradients")
ax1.legend(fontsize=8)
ax2.plot(TIMES, Qhat, "k.", ms=3, label="measured")
ax2.plot(TIMES, charges_jit(*path[0]), label="first guess")
ax2.plot(TIMES, charges_jit(*path[-1]), label=f"after {N_ITER} steps")
ax2.set(xlabel="t", ylabel="Q(t)", title="Model against data")
ax2.legend(fontsize=8)
plt.show()
# R settles fast; L, about 25 times less curved, is still creeping towards 9.95 after 60 steps
assert abs(path[-1, 0] - TRUE_R) < 0.02 and abs(path[-1, 1] - TRUE_L) < 0.25, "the fit should end near R = 1, L = 10"

# %% [markdown]
# ## Part 3. `vmap`: one function, a whole batch
#
# `jax.vmap(f)` turns a function written for **one** example into one that takes a batch.
# `in_axes` says which axis of each argument is the batch axis, or `None` for an argument
# shared by the whole batch. No loop runs in Python: JAX traces `f` once and writes the
# batched operations.

# %% tags=["demo"]
def weighted_distance(w, x):
    """sum_i w_i (x_i - 1)^2 for ONE point x."""
    return jnp.sum(w * (x - 1.0) ** 2)


w = jnp.array([1.0, 2.0, 3.0])
points = jnp.asarray(np.random.default_rng(0).normal(size=(5, 3)))
batched = jax.vmap(weighted_distance, in_axes=(None, 0))(w, points)   # w shared, points row by row
looped = jnp.array([weighted_distance(w, p) for p in points])
print("vmap:", batched)
print("loop:", looped)
assert np.allclose(batched, looped, rtol=1e-15)

# %% [markdown]
# ### Per-example gradients
#
# `jax.grad` of a mean loss gives one gradient, the average over the data. Sometimes we want
# each example's own gradient: to find the examples that pull hardest, or to clip each one
# (as differentially private training does). The per-example gradient is
# `grad(loss of one example)`, and `vmap` maps it over the examples.
#
# Our example loss is the logistic loss of a linear classifier, with labels $y = \pm 1$ and
# the margin $m = y\,w\cdot x$: $\ell(w; x, y) = \log\big(1 + e^{-m}\big)$.
#
# Written literally, `jnp.log1p(jnp.exp(-m))` overflows: for a badly misclassified example,
# $m < -709$, $e^{-m}$ is larger than the largest float64, the loss comes out as `inf` and its
# gradient as `nan`. `jax.nn.softplus(z)` $= \log(1 + e^z)$ is computed as
# $\max(z, 0) + \log(1 + e^{-|z|})$, whose exponential never exceeds 1, so we use it:

# %% readonly="example_loss"
def example_loss(w, x, y):
    """Logistic loss of ONE example: features x (shape (d,)) and a label y of +1 or -1."""
    return jax.nn.softplus(-y * jnp.dot(w, x))


rng = np.random.default_rng(5)
X_cls = jnp.asarray(rng.normal(size=(200, 4)))
Y_cls = jnp.asarray(np.sign(np.asarray(X_cls) @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3 * rng.normal(size=200)))
w_cls = jnp.array([0.2, -0.4, 0.1, 0.3])

# %% tags=["demo"]
def naive_loss(w, x, y):
    return jnp.log1p(jnp.exp(-y * jnp.dot(w, x)))


w_far, x_far = jnp.array([800.0]), jnp.array([1.0])  # margin m = -800 for the label y = -1
for name, loss in [("log1p(exp(-m))", naive_loss), ("softplus(-m)  ", example_loss)]:
    print(f"{name}: loss {float(loss(w_far, x_far, -1.0))}, gradient {jax.grad(loss)(w_far, x_far, -1.0)}")
# far from the boundary, log(1 + e^800) = 800 + log(1 + e^-800) = 800 and its slope in w is -y x = 1
assert example_loss(w_far, x_far, -1.0) == 800.0 and jax.grad(example_loss)(w_far, x_far, -1.0)[0] == 1.0

# %% [markdown]
# ### Exercise `per_example_grads`
#
# Write `per_example_grads(w, X, Y)`, returning the array of shape `(n, d)` whose row `i` is
# the gradient of `example_loss` with respect to `w` at example `(X[i], Y[i])`. Use
# `jax.vmap` and `jax.grad`, no Python loop. The grader traces your function with
# `jax.make_jaxpr` at two batch sizes and compares the programs: a loop over the examples
# makes the program grow with the batch and earns no points. Keep it traceable (JAX
# operations only, no conversion to NumPy inside).

# %% answer="per_example_grads"
def per_example_grads(w, X, Y):
    """Row i: d example_loss(w, X[i], Y[i]) / dw."""
    ### BEGIN SOLUTION
    return jax.vmap(jax.grad(example_loss), in_axes=(None, 0, 0))(w, X, Y)
    ### END SOLUTION


# %% test="test_per_example_grads"
got = np.asarray(per_example_grads(w_cls, X_cls[:10], Y_cls[:10]))
grad_one = jax.jit(jax.grad(example_loss))
loop = np.array([grad_one(w_cls, x, y) for x, y in zip(X_cls[:10], Y_cls[:10])])
assert got.shape == (10, 4), f"10 examples of 4 features should give shape (10, 4), got {got.shape}"
assert np.allclose(got, loop, rtol=1e-12), (
    "per_example_grads should match a Python loop of jax.grad(example_loss)(w, X[i], Y[i]); row 0 should be "
    f"{loop[0]}, got {got[0]}"
    + (": every row is the mean gradient" if np.allclose(got, loop.mean(axis=0)) else "")
    + (": that is the gradient by x; grad differentiates by the first argument, w" if np.allclose(
        got, jax.vmap(jax.grad(example_loss, argnums=1), in_axes=(None, 0, 0))(w_cls, X_cls[:10], Y_cls[:10]))
       else ""))
### BEGIN HIDDEN TESTS
from autograder.probes.jax_basics import probe_per_example_grads

probe_per_example_grads(per_example_grads)
### END HIDDEN TESTS

# %% [markdown]
# Their average is the gradient of the mean loss, and the loop is much slower than the
# compiled `vmap`:

# %% tags=["demo"]
mean_grad = jax.grad(lambda w: jnp.mean(jax.vmap(example_loss, in_axes=(None, 0, 0))(w, X_cls, Y_cls)))(w_cls)
per_example = jax.jit(per_example_grads)
G = per_example(w_cls, X_cls, Y_cls)
assert np.allclose(G.mean(axis=0), mean_grad, rtol=1e-12), "the mean of per-example gradients is the gradient of the mean"

_, vmap_seconds = first_and_later_call(per_example, w_cls, X_cls, Y_cls)
one_grad = jax.jit(jax.grad(example_loss))
one_grad(w_cls, X_cls[0], Y_cls[0])  # compile it before timing the loop
X_rows, Y_rows = list(np.asarray(X_cls)), list(np.asarray(Y_cls))
start = time.perf_counter()
loop = np.stack([one_grad(w_cls, x, y) for x, y in zip(X_rows, Y_rows)])
loop_seconds = time.perf_counter() - start
assert np.allclose(G, loop, rtol=1e-12)
print(f"200 per-example gradients: vmap {vmap_seconds * 1e3:.2f} ms, Python loop {loop_seconds * 1e3:.0f} ms")

norms = np.linalg.norm(np.asarray(G), axis=1)
fig, ax = plt.subplots(figsize=(6, 3))
ax.hist(norms, bins=30)
ax.set(xlabel="norm of the example's gradient", ylabel="examples",
       title="How hard each example pulls on w_cls")
plt.show()

# %% [markdown]
# ## Part 4. Maximum likelihood: a Gaussian's $\mu$ and $\sigma$
#
# We draw 1000 numbers from a Gaussian with $\mu = -3$, $\sigma = 2$ and pretend not to know
# them. Maximum-likelihood estimation picks the $\mu$ and $\sigma$ under which the data are
# most probable. It is easier to *minimise* the mean **negative log-likelihood**
#
# $$\text{NLL}(\mu, \sigma) = \frac{1}{n}\sum_{i=1}^n \left[\frac{(x_i - \mu)^2}{2\sigma^2}
#   + \log \sigma + \tfrac12\log 2\pi\right],$$
#
# whose minimum has a closed form: $\hat\mu$ is the sample mean and $\hat\sigma$ the standard
# deviation that divides by $n$ (not $n - 1$). So we can check the optimiser exactly.

# %%
samples = np.random.default_rng(44).normal(-3.0, 2.0, 1000)
print(f"closed form: mu = {samples.mean():.6f}, sigma = {samples.std():.6f}")

# %% [markdown]
# ### Why optimise $\log\sigma$
#
# $\sigma$ must stay positive, but gradient descent does not know that: one step too long and
# $\sigma < 0$, where the likelihood is meaningless. Optimising $s = \log\sigma$ instead, with
# $\sigma = e^s$, removes the constraint: every real $s$ is a valid $\sigma$.
#
# It also fixes the **scale**. At the optimum the curvature of the NLL in $\sigma$ is
# $2/\hat\sigma^2$, so the largest stable learning rate, $\hat\sigma^2$, depends on the
# unknown answer; in $\log\sigma$ the curvature is $2$ whatever the data. Here is one
# learning rate, $0.2$, on data with a small spread ($\hat\sigma \approx 0.18$), fitting the
# spread alone (μ held at the sample mean):

# %% tags=["demo"]
def nll_sigma(mu, sigma, x):
    return jnp.mean((x - mu) ** 2 / (2 * sigma ** 2) + jnp.log(sigma) + 0.5 * jnp.log(2 * jnp.pi))


def nll_log_sigma(mu, log_sigma, x):
    return nll_sigma(mu, jnp.exp(log_sigma), x)


narrow = jnp.asarray(np.random.default_rng(1).normal(0.5, 0.2, 500))
mu_hat = jnp.mean(narrow)
d_sigma = jax.jit(jax.grad(nll_sigma, argnums=1))
d_log_sigma = jax.jit(jax.grad(nll_log_sigma, argnums=1))
lr = 0.2
sigma_path, log_sigma_path = [1.0], [0.0]  # both start at sigma = 1
for _ in range(40):
    sigma_path.append(sigma_path[-1] - lr * float(d_sigma(mu_hat, sigma_path[-1], narrow)))
    log_sigma_path.append(log_sigma_path[-1] - lr * float(d_log_sigma(mu_hat, log_sigma_path[-1], narrow)))
sigma_path, log_sigma_path = np.array(sigma_path), np.array(log_sigma_path)

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(sigma_path, "o-", ms=3, label="descent on sigma")
ax.plot(np.exp(log_sigma_path), "o-", ms=3, label="descent on log sigma (shown as sigma)")
ax.axhline(float(jnp.std(narrow)), color="k", ls=":", label="maximum-likelihood sigma")
ax.axhline(0.0, color="gray", lw=0.5)
ax.set(xlabel="step", ylabel="sigma", title=f"Learning rate {lr}, two parametrisations")
ax.legend(fontsize=8)
plt.show()
k = int(np.argmax(sigma_path <= 0))
print(f"descent on sigma: step {k} gives sigma = {sigma_path[k]:.3f}, where the NLL is "
      f"{float(nll_sigma(mu_hat, sigma_path[k], narrow))}; after 40 steps sigma = {sigma_path[-1]:.3f}")
print(f"descent on log sigma: sigma = {np.exp(log_sigma_path[-1]):.6f} after 40 steps, "
      f"the maximum-likelihood sigma is {float(jnp.std(narrow)):.6f}")
assert np.any(sigma_path <= 0) and np.isclose(np.exp(log_sigma_path[-1]), jnp.std(narrow), rtol=1e-9)

# %% [markdown]
# On $\sigma$ the steps grow as $\sigma$ shrinks, until one overshoots past zero, where the NLL
# is NaN. The descent wanders through meaningless negative values and is thrown far out, where
# the slope is so flat that it crawls. On $\log\sigma$ the same learning rate converges. (For $\mu$ the curvature is
# $1/\sigma^2$ in both parametrisations; the data of the exercise below have
# $\sigma \ge 0.5$, so a learning rate of $0.2$ is stable for $\mu$ too.)
#
# ### Exercise `gaussian_mle`
#
# 1. Write `gaussian_nll(mu, log_sigma, data)`: the **mean** negative log-likelihood above,
#    with $\sigma = e^{\log\sigma}$, in `jnp` so that JAX can differentiate it.
# 2. Write `fit_gaussian(data, learning_rate=0.2, steps=1000)`: `steps` steps of gradient
#    descent on `(mu, log_sigma)` from `(0, 0)`, using `jax.grad` of `gaussian_nll` with
#    respect to both. Return the pair `(mu, sigma)` as floats (note: $\sigma$, not
#    $\log\sigma$). Jit the gradient: a thousand calls of an uncompiled one take seconds.
#    The hidden tests also take one and two steps and compare them with exact gradient
#    descent, digit for digit.
#
# With these settings the fit reaches the closed form to better than $10^{-6}$ for data
# whose mean is between $-3$ and $3$ and whose spread is between $0.5$ and $2.5$.

# %% answer="gaussian_mle"
def gaussian_nll(mu, log_sigma, data):
    """Mean negative log-likelihood of data under N(mu, exp(log_sigma)**2)."""
    ### BEGIN SOLUTION
    sigma = jnp.exp(log_sigma)
    return jnp.mean((data - mu) ** 2 / (2 * sigma ** 2) + log_sigma + 0.5 * jnp.log(2 * jnp.pi))
    ### END SOLUTION


def fit_gaussian(data, learning_rate=0.2, steps=1000):
    """(mu, sigma) of maximum likelihood, by gradient descent on (mu, log_sigma) from (0, 0)."""
    ### BEGIN SOLUTION
    data = jnp.asarray(data, dtype=float)
    grad = jax.jit(jax.grad(gaussian_nll, argnums=(0, 1)))
    mu, log_sigma = 0.0, 0.0
    for _ in range(steps):
        d_mu, d_log_sigma = grad(mu, log_sigma, data)
        mu, log_sigma = mu - learning_rate * float(d_mu), log_sigma - learning_rate * float(d_log_sigma)
    return mu, float(np.exp(log_sigma))
    ### END SOLUTION


# %% test="test_gaussian_nll"
density = np.exp(-(samples + 2.0) ** 2 / (2 * 1.5 ** 2)) / (1.5 * np.sqrt(2 * np.pi))  # N(-2, 1.5^2)
got = gaussian_nll(-2.0, np.log(1.5), samples)
want = -np.mean(np.log(density))
assert np.isclose(got, want, rtol=1e-12), (
    f"gaussian_nll(-2, log 1.5, samples) should be {want:.10f} (minus the mean log-density), got {got}"
    + (": take the mean, not the sum" if np.isclose(got, want * samples.size) else ""))
g_mu, g_ls = jax.grad(gaussian_nll, argnums=(0, 1))(-2.0, np.log(1.5), jnp.asarray(samples))
nll_at = jax.jit(gaussian_nll)
fd_mu = central_difference(lambda m: nll_at(m, np.log(1.5), samples), -2.0)
fd_ls = central_difference(lambda s: nll_at(-2.0, s, samples), np.log(1.5))
assert np.allclose([g_mu, g_ls], [fd_mu, fd_ls], rtol=1e-6), (
    f"the gradient of gaussian_nll should be about {[fd_mu, fd_ls]}, got {[float(g_mu), float(g_ls)]}")
### BEGIN HIDDEN TESTS
from autograder.probes.jax_basics import probe_gaussian_nll

probe_gaussian_nll(gaussian_nll)
### END HIDDEN TESTS

# %% test="test_fit_gaussian"
start = time.perf_counter()
mu_fit, sigma_fit = fit_gaussian(samples)
seconds = time.perf_counter() - start
print(f"fit: mu = {mu_fit:.8f}, sigma = {sigma_fit:.8f} in {seconds:.2f} s")
print(f"closed form: mu = {samples.mean():.8f}, sigma = {samples.std():.8f}")
assert np.isclose(sigma_fit, samples.std(), rtol=1e-6), (
    f"sigma should be the standard deviation of the data, {samples.std():.8f}, got {sigma_fit}"
    + (": return sigma, not log sigma" if np.isclose(sigma_fit, np.log(samples.std()), rtol=1e-4) else ""))
assert np.isclose(mu_fit, samples.mean(), rtol=1e-6), f"mu should be the mean of the data, {samples.mean():.8f}, got {mu_fit}"
one_step = np.array(fit_gaussian(samples, steps=1), dtype=float)
want = np.array([0.2 * samples.mean(), np.exp(-0.2 * (1 - np.mean(samples ** 2)))])  # the gradient at (0, 0) by hand
assert np.allclose(one_step, want, rtol=1e-12), (
    f"one step from (mu, log sigma) = (0, 0) should reach (mu, sigma) = {want}, got {one_step}: at (0, 0) the "
    "gradient is (-mean(x), 1 - mean(x**2)), and each step subtracts learning_rate times it")
### BEGIN HIDDEN TESTS
from autograder.probes.jax_basics import probe_fit_gaussian

probe_fit_gaussian(fit_gaussian)
### END HIDDEN TESTS

# %% [markdown]
# ## Part 5. The goldfield
#
# A robot is looking for gold in a field. The deeper a spot of the landscape below, the more
# gold; the robot knows its height function and can compute gradients, but it cannot see the
# whole map. Three deposits lie in a gently rising field:
#
# $$f(x, y) = 0.1\,(x^2 + y^2) - \sum_{k=1}^{3} d_k
#   \exp\!\Big(-\frac{(x - a_k)^2 + (y - b_k)^2}{2 w_k^2}\Big).$$
#
# The locked cell below also holds `descend`, plain gradient descent (the loop you wrote in
# `fit_gaussian`), which returns the whole path so that we can draw it.

# %% readonly="goldfield"
WELLS = ((-1.0, -0.6, 1.0, 0.5), (1.1, 0.4, 1.4, 0.6), (-0.2, 1.2, 0.8, 0.4))  # (a, b, depth d, width w)


def goldfield(x, y):
    """Height of the field at (x, y); works on numbers and on arrays of the same shape."""
    f = 0.1 * (x ** 2 + y ** 2)
    for a, b, depth, width in WELLS:
        f = f - depth * jnp.exp(-((x - a) ** 2 + (y - b) ** 2) / (2 * width ** 2))
    return f


field = jax.jit(goldfield)                                 # compiled once: evaluated often below
gold_grad = jax.jit(jax.grad(goldfield, argnums=(0, 1)))   # (df/dx, df/dy), for the plots below


def descend(gradient, x0, y0, learning_rate=0.1, steps=150):
    """Gradient descent from (x0, y0), where gradient(x, y) returns (df/dx, df/dy).
    Returns the path, an array of shape (steps + 1, 2): the start, then the point after each step."""
    path = [(float(x0), float(y0))]
    for _ in range(steps):
        x, y = path[-1]
        gx, gy = gradient(x, y)
        path.append((x - learning_rate * float(gx), y - learning_rate * float(gy)))
    return np.array(path)


GX, GY = np.meshgrid(np.linspace(-2.5, 2.5, 121), np.linspace(-2.5, 2.5, 121))
GZ = np.asarray(field(GX, GY))


def field_axes(ax, title="The goldfield"):
    cs = ax.contourf(GX, GY, GZ, levels=30, cmap="cividis")
    ax.set(xlabel="x", ylabel="y", title=title, aspect="equal")
    return cs


# %% tags=["demo"]
fig = plt.figure(figsize=(11, 4.5))
ax1 = fig.add_subplot(1, 2, 1, projection="3d")
ax1.plot_surface(GX, GY, GZ, cmap="cividis", linewidth=0, antialiased=False)
ax1.view_init(elev=35, azim=-60)
ax1.set(xlabel="x", ylabel="y", title="The goldfield as a surface")
ax2 = fig.add_subplot(1, 2, 2)
fig.colorbar(field_axes(ax2, "Seen from above"), ax=ax2)
plt.show()

# %% [markdown]
# ### Exercise `goldfield_gradient`
#
# 1. Write `goldfield_gradient(x, y)`: for two floats `x`, `y`, return the tuple
#    $(\partial f/\partial x, \partial f/\partial y)$ of two numbers (JAX scalars are fine),
#    with `jax.grad` and the right `argnums`.
# 2. The robot breaks down: it can now only move along the $x$ axis, at a fixed $y$. It needs
#    the **partial derivative** $\partial f/\partial x$ at that $y$. Write `partial_x(y)`,
#    returning a function of `x` alone that computes $\partial f/\partial x\,(x, y)$.
#
# The hidden tests compare with JAX in float64 to about $10^{-13}$ of the size of the terms
# of the gradient: `central_difference` is off by more than that at any step.

# %% answer="goldfield_gradient"
def goldfield_gradient(x, y):
    """(df/dx, df/dy) of goldfield at (x, y)."""
    ### BEGIN SOLUTION
    return jax.grad(goldfield, argnums=(0, 1))(x, y)
    ### END SOLUTION


def partial_x(y):
    """The function x -> df/dx (x, y) for this fixed y."""
    ### BEGIN SOLUTION
    return jax.grad(lambda x: goldfield(x, y))
    ### END SOLUTION


# %% test="test_goldfield_gradient"
for px, py in [(0.3, -0.4), (-1.2, 1.5), (1.0, 0.0)]:
    got = np.asarray(goldfield_gradient(px, py), dtype=float)
    fd = np.array([central_difference(lambda s: field(s, py), px), central_difference(lambda s: field(px, s), py)])
    assert got.shape == (2,), f"goldfield_gradient should return two numbers (df/dx, df/dy), got shape {got.shape}"
    assert np.allclose(got, fd, rtol=1e-6, atol=1e-9), (
        f"goldfield_gradient({px}, {py}) should be about {fd} (central differences), got {got}"
        + (": the sign is flipped" if np.allclose(-got, fd, rtol=1e-6) else "")
        + (": the components are swapped" if np.allclose(got[::-1], fd, rtol=1e-6) else ""))
### BEGIN HIDDEN TESTS
from autograder.probes.jax_basics import probe_goldfield_gradient

probe_goldfield_gradient(goldfield_gradient)
### END HIDDEN TESTS

# %% test="test_goldfield_partial"
along = partial_x(0.4)
for px in [-1.5, 0.2, 1.7]:
    got = float(along(px))
    fd = central_difference(lambda s: field(s, 0.4), px)
    assert np.isclose(got, fd, rtol=1e-6, atol=1e-9), (
        f"partial_x(0.4)({px}) should be about {fd:.8f}, got {got}"
        + (": the sign is flipped" if np.isclose(-got, fd, rtol=1e-6) else "")
        + (": that is df/dy" if np.isclose(got, central_difference(lambda s: field(px, s), 0.4), rtol=1e-6)
           else ""))
### BEGIN HIDDEN TESTS
from autograder.probes.jax_basics import probe_goldfield_partial

probe_goldfield_partial(partial_x)
### END HIDDEN TESTS

# %% [markdown]
# Where the robot ends depends on where it starts: each deposit drains its own basin.

# %% tags=["demo"]
starts = [(-2.0, -2.0), (0.5, -1.5), (2.0, 2.0), (-2.2, 1.8), (0.3, 2.2), (2.2, -1.0)]
fig, ax = plt.subplots(figsize=(5.5, 5))
field_axes(ax, "Gradient descent from six starts")
for x0, y0 in starts:
    p = descend(gold_grad, x0, y0, learning_rate=0.1, steps=400)
    ax.plot(p[:, 0], p[:, 1], "w.-", ms=2, lw=1)
    ax.plot(*p[-1], "r*", ms=12)
    assert np.linalg.norm(gold_grad(*p[-1])) < 1e-6, "every path should end where the gradient vanishes"
plt.show()

# %% [markdown]
# With `partial_x` the broken robot descends along $x$ at $y = 0.4$. It finds a minimum of
# $f$ along that line, which is not a minimum of $f$ itself: the gradient's $y$ part does not
# vanish there.

# %% tags=["demo"]
y_fixed, x_line = 0.4, -2.0
dfdx = jax.jit(partial_x(y_fixed))
line_path = [x_line]
for _ in range(200):
    line_path.append(line_path[-1] - 0.1 * float(dfdx(line_path[-1])))
gx_end, gy_end = gold_grad(line_path[-1], y_fixed)
print(f"the robot stops at x = {line_path[-1]:.6f}: df/dx = {float(gx_end):.1e}, but df/dy = {float(gy_end):.3f}")
assert abs(gx_end) < 1e-8

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
field_axes(ax1, f"Moving along x only, at y = {y_fixed}")
ax1.axhline(y_fixed, color="w", lw=0.8)
ax1.plot(line_path, [y_fixed] * len(line_path), "r.", ms=3)
ax1.plot(line_path[-1], y_fixed, "r*", ms=12)
xs_line = np.linspace(-2.5, 2.5, 300)
ax2.plot(xs_line, field(xs_line, y_fixed))
ax2.plot(line_path[-1], field(line_path[-1], y_fixed), "r*", ms=12)
ax2.set(xlabel="x", ylabel=f"f(x, {y_fixed})", title="The slice the robot can explore")
plt.show()

# %% [markdown]
# ### The learning rate
#
# One number decides whether gradient descent crawls, converges or flies off. Near a minimum
# with curvature $\lambda$ (an eigenvalue of the Hessian), each step multiplies the distance
# along that direction by $1 - \eta\lambda$: a small $\eta$ shrinks it slowly, and
# $\eta > 2/\lambda$ makes it grow. The descent below ends in the deepest deposit, whose two
# curvatures are both near 4 (printed below), so the limit is near $\eta = 0.5$. Move the
# slider. (The descent is a `lax.scan` inside `jit`. The learning rate is an ordinary traced
# argument, so it is compiled once and moving the slider does not retrace.)

# %% tags=["demo"]
@jax.jit
def descent_path(start, learning_rate):
    def step(p, _):
        new = p - learning_rate * jnp.stack(jax.grad(goldfield, argnums=(0, 1))(p[0], p[1]))
        return new, new
    _, points = jax.lax.scan(step, start, None, length=60)
    return jnp.concatenate([start[None], points])


deepest = descent_path(jnp.array([1.0, 0.4]), 0.1)[-1]  # 60 small steps from inside the deepest basin
f_lowest = float(goldfield(*deepest))
hessian = np.asarray(jax.jit(jax.hessian(lambda p: goldfield(p[0], p[1])))(deepest))
fd_hessian = np.array([central_difference(lambda t: np.array(gold_grad(*(deepest + t * e))), 0.0)
                       for e in np.eye(2)])  # column by column, from differences of the gradient
assert np.allclose(hessian, fd_hessian, rtol=1e-6, atol=1e-8), "jax.hessian and finite differences disagree"
print("curvatures (Hessian eigenvalues) at the deepest deposit:", np.linalg.eigvalsh(hessian))


def show_learning_rate(log10_lr):
    lr = 10.0 ** log10_lr
    p = np.asarray(descent_path(jnp.array([2.0, -1.2]), lr))
    gap = np.asarray(goldfield(p[:, 0], p[:, 1])) - f_lowest
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    field_axes(ax1, f"learning rate {lr:.3g}")
    ax1.plot(p[:, 0], p[:, 1], "r.-", ms=3, lw=1)
    ax1.set(xlim=(-2.5, 2.5), ylim=(-2.5, 2.5))
    ax2.semilogy(np.maximum(np.abs(gap), 1e-16), "o-", ms=3)
    ax2.set(xlabel="step", ylabel="|f - f(deepest deposit)|", ylim=(1e-16, 1e2), title="Convergence")
    plt.show()


lr_slider = widgets.FloatSlider(value=-1.0, min=-2.0, max=0.0, step=0.05, description="log10 lr")
display(widgets.VBox([lr_slider, widgets.interactive_output(show_learning_rate, {"log10_lr": lr_slider})]))

# %% [markdown]
# ## Checkpoint

# %% tags=["demo"]
from IPython.display import Javascript, display
from jupyterquiz import display_quiz

# JupyterLab 4 keeps a MathJax without typeset() in window.MathJax. jupyterquiz would then
# replace it and fetch another MathJax from the web, and throw on every answer when that
# fails. These questions have no maths: give the quiz a typeset() that does nothing.
display(Javascript("if (window.MathJax && !window.MathJax.typeset) { window.MathJax.typeset = () => {}; }"))
display_quiz([
    {"question": "A function decorated with jax.jit contains print('hello'). You call it three times with "
                 "float64 arrays of shape (3,). How many times is 'hello' printed?",
     "type": "numeric", "precision": 1,
     "answers": [{"type": "value", "value": 1, "correct": True,
                  "feedback": "Right: Python runs only while JAX traces; later calls with the same shapes reuse the compiled code."},
                 {"type": "value", "value": 3, "correct": False,
                  "feedback": "The compiled code does not run the Python body again."},
                 {"type": "default", "feedback": "Think about when the Python body runs at all."}]},
    {"question": "Why does jax.jit of an RK4 written as a Python for-loop over 199 steps compile so slowly?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "Tracing unrolls the loop: the compiler gets 199 copies of the step", "correct": True,
          "feedback": "Right. lax.scan traces the step once and compiles one loop body."},
         {"answer": "JAX reads the Python source and compiles it line by line", "correct": False,
          "feedback": "JAX never reads the source: it traces, running the function on stand-in values."},
         {"answer": "RK4 needs float64", "correct": False, "feedback": "The dtype does not change the size of the program."}]},
    {"question": "jax.grad(f)(3) raises a TypeError. Why?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "3 is an integer, and derivatives need a floating-point input", "correct": True,
          "feedback": "Right: call it with 3.0."},
         {"answer": "grad only works on arrays", "correct": False, "feedback": "Scalars are fine if they are floats."},
         {"answer": "f must be jitted first", "correct": False, "feedback": "grad works with or without jit."}]},
    {"question": "Why optimise log(sigma) instead of sigma?",
     "type": "many_choice",
     "answers": [
         {"answer": "Every real log(sigma) gives a positive sigma", "correct": True,
          "feedback": "Right: no step can leave the valid range."},
         {"answer": "The curvature in log(sigma) does not depend on the data's scale", "correct": True,
          "feedback": "Right: one learning rate works for narrow and wide data."},
         {"answer": "The maximum-likelihood sigma changes", "correct": False,
          "feedback": "A reparametrisation moves no optimum: sigma = exp(log sigma) at the same point."}]},
    {"question": "Which in_axes give per-example gradients for vmap(grad(loss))(w, X, Y)?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "(None, 0, 0)", "correct": True, "feedback": "Right: w is shared, X and Y are mapped row by row."},
         {"answer": "(0, 0, 0)", "correct": False, "feedback": "That maps over the entries of w too."},
         {"answer": "(0, None, None)", "correct": False, "feedback": "That maps over w and gives every row all the data."}]},
])

# %% [markdown]
# ## Summary
#
# - `jax.grad` turns a function into its gradient; `argnums` picks the arguments, pytrees
#   (dicts, lists) come back with the same structure, `value_and_grad` returns both, and
#   nesting `grad` gives higher derivatives. Inputs must be floats.
# - `jax.jit` **traces** a function into a jaxpr and compiles it. Python runs only while
#   tracing, so a Python loop is unrolled; `lax.scan` keeps one copy of the loop body, so
#   its compile time does not grow with the number of steps.
# - The RLC gradient through `lax.scan` matches notebook 2's dual numbers to 14 digits or more.
# - `jax.vmap` maps a function over a batch; `vmap(grad(...))` gives per-example gradients.
# - Optimise positive parameters through their logarithm: no constraint, better scaling.
#
# Next: a small neural network and logistic regression, trained with these gradients.
