# %% [markdown]
# # 6. Jacobians and Hessians: derivatives of vector functions, and what they cost
#
# *Automatic differentiation, from dual numbers to JAX* · notebook 6 of 6
#
# So far every function had one output, and its derivative was a gradient. Most scientific
# programs have many outputs as well as many inputs. Their first derivative is a matrix, the
# **Jacobian**, and the second derivative of a scalar function is another matrix, the
# **Hessian**. This notebook computes both with JAX, builds them yourself from the two
# basic operations of AD, and measures when forward mode beats reverse mode.
#
# You will:
# 1. compute Jacobians with `jax.jacfwd` and `jax.jacrev`, and check them against one you
#    derive by hand;
# 2. use a Jacobian determinant to change variables in a double integral;
# 3. write Jacobian builders from `jax.jvp` and `jax.vjp`;
# 4. time forward against reverse mode over many shapes and find the crossover;
# 5. compute Hessians and Hessian-vector products;
# 6. minimise the Rosenbrock function with exact gradients and Hessians, and write Newton's
#    method.
#
# **How to work.** Run the cells from top to bottom. Cells marked *Exercise* contain
# `raise NotImplementedError(...)`: replace that line with your code. The cell after each
# exercise is a self-check; if an `assert` fails, its message tells you what to look at.
# Hidden tests then try your code on functions and points you have not seen. Where an
# exercise asks for AD they compare with exact derivatives to about $10^{-12}$ of the size
# of their terms, and their functions carry large constant or linear terms that AD ignores:
# a finite difference such as `fd_jacobian` below, at any step, does not pass.

# %% readonly="setup"
import time

import ipywidgets as widgets
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from scipy.integrate import dblquad
from scipy.optimize import minimize

jax.config.update("jax_enable_x64", True)  # float64: every comparison below is to ~1e-10


def fd_jacobian(f, x, h=1e-6):
    """The Jacobian by central differences, one column per input: a second, independent way."""
    x = np.asarray(x, dtype=float)
    columns = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        columns.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * h))
    return np.stack(columns, axis=-1)


# %% [markdown]
# ## Part 1. Jacobians
#
# For $f:\mathbb{R}^n\to\mathbb{R}^m$ the Jacobian at $x$ is the $m\times n$ matrix
#
# $$J_{ij} = \frac{\partial f_i}{\partial x_j}, \qquad f(x + \delta) \approx f(x) + J\,\delta .$$
#
# **Rows are outputs, columns are inputs.** Row $i$ is the gradient of output $f_i$;
# column $j$ says how every output moves when input $x_j$ moves.
#
# Our example has two inputs and two outputs:
#
# $$f(x, y) = \begin{pmatrix} x^2 y \\ 5x + \sin y \end{pmatrix}.$$

# %% [markdown]
# ### Exercise `jacobian_fg`
#
# Differentiate by hand. Write `jacobian_f(x, y)` returning the $2\times2$ Jacobian of $f$ at
# $(x, y)$ as a NumPy array, row $i$ for output $f_i$, column $j$ for input $j$ (first $x$,
# then $y$). No AD here: this is the answer JAX will be checked against.

# %% answer="jacobian_fg"
def jacobian_f(x, y):
    """[[df1/dx, df1/dy], [df2/dx, df2/dy]] for f1 = x**2 y, f2 = 5 x + sin y."""
    ### BEGIN SOLUTION
    return np.array([[2 * x * y, x ** 2],
                     [5.0, np.cos(y)]])
    ### END SOLUTION


# %% test="test_jacobian_fg"
got = np.asarray(jacobian_f(1.0, 2.0), dtype=float)
want = np.array([[4.0, 1.0], [5.0, np.cos(2.0)]])
assert got.shape == (2, 2), f"jacobian_f should return a 2 x 2 array, got shape {got.shape}"
assert not (np.allclose(got, want.T) and not np.allclose(got, want)), (
    "jacobian_f(1, 2) is transposed: row 0 holds the derivatives of f1 = x**2 y, "
    "column 0 the derivatives with respect to x")
assert np.allclose(got, want), f"jacobian_f(1, 2) should be {want.tolist()}, got {got.tolist()}"
### BEGIN HIDDEN TESTS
from autograder.probes.jacobians_hessians import probe_jacobian_fg

probe_jacobian_fg(jacobian_f)
### END HIDDEN TESTS

# %% [markdown]
# ### The same Jacobian from JAX, two ways
#
# JAX wants the inputs as one array, so we write $f$ as a function of $v = (x, y)$.
# `jax.jacfwd(f)` and `jax.jacrev(f)` return new functions that compute the Jacobian, by
# forward and by reverse mode. Both should match your hand-derived matrix, and a central
# difference (the helper `fd_jacobian` from the setup cell) should match to about 8 digits.

# %% tags=["demo"]
def f_vec(v):
    x, y = v[0], v[1]
    return jnp.stack([x ** 2 * y, 5 * x + jnp.sin(y)])


v0 = jnp.array([0.5, 0.5])
J_fwd = jax.jacfwd(f_vec)(v0)
J_rev = jax.jacrev(f_vec)(v0)
J_fd = fd_jacobian(f_vec, v0)
print("jacfwd:\n", J_fwd)
print("jacrev:\n", J_rev)
print("max |jacfwd - central difference| =", np.abs(J_fwd - J_fd).max())
assert np.allclose(J_fwd, J_rev, rtol=1e-14)
assert np.allclose(J_fwd, J_fd, rtol=1e-8)
assert np.allclose(J_fwd, jacobian_f(0.5, 0.5), rtol=1e-14), "JAX and jacobian_f disagree"

# %% [markdown]
# ### Which one is faster?
#
# They give the same matrix but build it differently.
#
# - `jacfwd` fills the Jacobian **one column at a time**: each column is one forward pass,
#   seeded with a unit change of one input (a dual-number pass as in notebook 1, with the
#   derivative part of input $j$ set to 1 and all others to 0). That is $n$ passes.
# - `jacrev` fills it **one row at a time**: each row is one reverse pass, seeded with one
#   output. That is $m$ passes.
#
# Each pass costs a small multiple of one evaluation of $f$. So **forward mode is cheaper
# when there are fewer inputs than outputs ($n < m$, a tall Jacobian), reverse mode when
# there are fewer outputs ($m < n$, a wide one)**. A loss function of a million parameters
# has $m = 1$, which is why training uses reverse mode. For a square Jacobian they are
# close; Part 4 measures it.

# %% [markdown]
# ## Part 2. Change of variables
#
# The absolute value of a Jacobian determinant is the factor by which a map stretches small
# areas near a point. To integrate over a region $R$ in new coordinates $(u, v)$ that map
# onto it,
#
# $$\iint_R g(x, y)\,dx\,dy = \iint_{R'} g\big(x(u, v), y(u, v)\big)\,
# \left|\det \frac{\partial(x, y)}{\partial(u, v)}\right| du\,dv .$$
#
# The unit disc in Cartesian coordinates has curved limits, $-\sqrt{1 - x^2} \le y \le
# \sqrt{1 - x^2}$. In polar coordinates, $x = r\cos\theta$, $y = r\sin\theta$, it is the
# rectangle $0 \le r \le 1$, $0 \le \theta \le 2\pi$. JAX gives the Jacobian of that map;
# its determinant should be $r$.

# %% tags=["demo"]
def polar_to_cartesian(p):
    r, theta = p[0], p[1]
    return jnp.stack([r * jnp.cos(theta), r * jnp.sin(theta)])


jacobian_polar = jax.jacfwd(polar_to_cartesian)


@jax.jit
def area_factor(r, theta):
    """|det d(x, y)/d(r, theta)|, from the JAX Jacobian."""
    return jnp.abs(jnp.linalg.det(jacobian_polar(jnp.stack([r, theta]))))


p = jnp.array([0.7, 2.0])
print("Jacobian of the polar map at r = 0.7, theta = 2:\n", jacobian_polar(p))
print("its determinant:", float(area_factor(0.7, 2.0)))
rs, thetas = np.random.default_rng(0).uniform(0, 1, 20), np.random.default_rng(1).uniform(0, 2 * np.pi, 20)
assert np.allclose(jax.vmap(area_factor)(rs, thetas), rs, rtol=1e-13), "the determinant should equal r"
assert np.allclose(jacobian_polar(p), fd_jacobian(polar_to_cartesian, p), rtol=1e-8)

# %% [markdown]
# Why $r$? Equal little rectangles $dr\,d\theta$ map to wedges of area $r\,dr\,d\theta$:
# small near the centre, large far out. Colour shows the area factor.

# %% tags=["demo"]
r_edges, t_edges = np.linspace(0, 1, 9), np.linspace(0, 2 * np.pi, 25)
R_grid, T_grid = np.meshgrid(r_edges, t_edges, indexing="ij")
centres = jax.vmap(jax.vmap(area_factor))(jnp.asarray((R_grid[1:, 1:] + R_grid[:-1, :-1]) / 2),
                                          jnp.asarray((T_grid[1:, 1:] + T_grid[:-1, :-1]) / 2))
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 4))
ax1.pcolormesh(T_grid, R_grid, centres, edgecolors="k", linewidth=0.3, cmap="viridis", vmin=0, vmax=1)
ax1.set(xlabel=r"$\theta$", ylabel="$r$", title=r"equal cells $dr\,d\theta$")
mesh = ax2.pcolormesh(R_grid * np.cos(T_grid), R_grid * np.sin(T_grid), centres,
                      edgecolors="k", linewidth=0.3, cmap="viridis", vmin=0, vmax=1)
ax2.set(aspect="equal", xlabel="$x$", ylabel="$y$", title="their images: area $r\\,dr\\,d\\theta$")
fig.colorbar(mesh, ax=ax2, label=r"$|\det J| = r$")
plt.tight_layout()
plt.show()

# %% [markdown]
# Now the area of the disc, $\pi$, two right ways and one wrong one.
# `scipy.integrate.dblquad(func, a, b, gfun, hfun)` integrates `func(inner, outer)` with the
# outer variable from `a` to `b`; here the outer variable is $\theta$ and the inner one $r$.
# Leaving out the area factor gives the area of the rectangle, $2\pi$, instead.

# %% tags=["demo"]
with_factor, _ = dblquad(lambda r, theta: float(area_factor(r, theta)), 0, 2 * np.pi, 0, 1)
without_factor, _ = dblquad(lambda r, theta: 1.0, 0, 2 * np.pi, 0, 1)
cartesian, _ = dblquad(lambda y, x: 1.0, -1, 1, lambda x: -np.sqrt(1 - x ** 2), lambda x: np.sqrt(1 - x ** 2))
print(f"polar with |det J|    {with_factor:.15f}")
print(f"polar without it      {without_factor:.15f}   (2 pi: wrong)")
print(f"Cartesian, curved     {cartesian:.15f}")
print(f"pi                    {np.pi:.15f}")
assert np.isclose(with_factor, np.pi, rtol=1e-12) and np.isclose(cartesian, np.pi, rtol=1e-8)

# %% [markdown]
# ## Part 3. The two building blocks: `jvp` and `vjp`
#
# `jacfwd` and `jacrev` are thin layers over two operations that never form a Jacobian.
#
# **Jacobian-vector product (forward mode).** `jax.jvp(f, (x,), (v,))` returns
# `(f(x), J(x) @ v)`: the change of the outputs when the input moves in direction $v$. It
# runs the program once, carrying a tangent beside every value, like the dual numbers of
# notebook 1. Notebook 5 used it for a scalar function, where $J v$ is the single number
# $\nabla f\cdot v$; with $m$ outputs it is a vector of $m$ numbers.
#
# **Vector-Jacobian product (reverse mode).** `y, pullback = jax.vjp(f, x)` runs $f$ and
# records what it needs; `pullback(u)` returns the tuple `(u @ J(x),)`: the gradient of the
# weighted sum of outputs $u\cdot f(x)$ with respect to every input. It runs the recorded
# program backwards once per $u$.
#
# Each costs a small multiple of one evaluation of $f$, whatever $n$ and $m$ are. With a
# unit vector, a JVP gives one column of $J$ and a VJP one row:

# %% tags=["demo"]
e0 = jnp.array([1.0, 0.0])                      # unit change of input 0
_, column0 = jax.jvp(f_vec, (v0,), (e0,))
y0, pullback = jax.vjp(f_vec, v0)
(row1,) = pullback(jnp.array([0.0, 1.0]))       # weight 1 on output 1
print("J @ e0  =", column0, "  column 0 of jacfwd:", J_fwd[:, 0])
print("e1 @ J  =", row1, "  row 1 of jacfwd:   ", J_fwd[1, :])
assert np.allclose(column0, J_fwd[:, 0]) and np.allclose(row1, J_fwd[1, :])

# %% [markdown]
# Two checks that need no Jacobian at all. A JVP is a directional derivative, so a central
# difference along $v$ approximates it. And a JVP and a VJP describe the same matrix, so
# for any $u$ and $v$, $u\cdot(Jv) = (uJ)\cdot v$.

# %% tags=["demo"]
rng = np.random.default_rng(6)
x_t, v_t, u_t = (jnp.asarray(rng.normal(size=2)) for _ in range(3))
_, Jv = jax.jvp(f_vec, (x_t,), (v_t,))
(uJ,) = jax.vjp(f_vec, x_t)[1](u_t)
h = 1e-6
directional = (f_vec(x_t + h * v_t) - f_vec(x_t - h * v_t)) / (2 * h)
print("J v by jvp:", Jv, "  by central difference:", directional)
print("u.(J v) =", float(u_t @ Jv), "  (u J).v =", float(uJ @ v_t))
assert np.allclose(Jv, directional, rtol=1e-7) and np.isclose(u_t @ Jv, uJ @ v_t, rtol=1e-13)

# %% [markdown]
# ### Exercises `jac_from_jvp` and `jac_from_vjp`
#
# Write your own `jacfwd` and `jacrev`. Each takes a function `f` from a 1-d array of $n$
# numbers to a 1-d array of $m$ numbers, and a point `x` (a 1-d array of $n$ floats), and
# returns the $m\times n$ Jacobian as a 2-d array of floats (rows are outputs).
#
# - `jac_from_jvp(f, x)`: one `jax.jvp` per input direction $e_j$; each gives a column.
# - `jac_from_vjp(f, x)`: one pullback from `jax.vjp` per output direction $e_i$; each
#   gives a row. Call `jax.vjp` once and reuse the pullback.
#
# A Python loop over `jnp.eye(n)` is fine; `jax.vmap` over it is what JAX itself does. Mind
# which way you stack: columns go side by side (`axis=1`).
#
# Do not call `jax.jacfwd`, `jax.jacrev`, `jax.jacobian` or `jax.hessian`, here or in a
# helper (the grader records which JAX functions run). The hidden tests include a function with a
# `lax.while_loop`, which only forward mode can differentiate, and one with a
# `jax.custom_vjp` rule, which only reverse mode can: each builder must use its own mode.

# %% answer="jac_from_jvp"
def jac_from_jvp(f, x):
    """The m x n Jacobian of f at x, one column per jax.jvp."""
    ### BEGIN SOLUTION
    x = jnp.asarray(x, dtype=jnp.float64)
    column = lambda e: jax.jvp(f, (x,), (e,))[1]
    return jax.vmap(column, out_axes=1)(jnp.eye(x.size))
    ### END SOLUTION


# %% answer="jac_from_vjp"
def jac_from_vjp(f, x):
    """The m x n Jacobian of f at x, one row per pullback of jax.vjp."""
    ### BEGIN SOLUTION
    x = jnp.asarray(x, dtype=jnp.float64)
    y, pullback = jax.vjp(f, x)
    row = lambda u: pullback(u)[0]
    return jax.vmap(row)(jnp.eye(y.size))
    ### END SOLUTION


# %% readonly="self_check_tall"
def tall(x):
    """3 outputs of 2 inputs, so a transposed Jacobian has the wrong shape."""
    return jnp.stack([x[0] * x[1], jnp.sin(x[0]), x[1] ** 2])


def check_builder(name, builder):
    x = jnp.array([0.3, -1.2])
    want = jax.jacfwd(tall)(x)
    got = np.asarray(builder(tall, x), dtype=float)
    assert got.shape != (2, 3), (
        f"{name}(tall, x) has shape (2, 3), the transpose: rows are outputs, so stack the "
        "columns side by side (axis=1), or the rows on top of each other (axis=0)")
    assert got.shape == (3, 2), f"{name}(tall, x) should have shape (3, 2), got {got.shape}"
    assert np.allclose(got, want, rtol=1e-12), f"{name}(tall, x) should be {np.asarray(want).tolist()}, got {got.tolist()}"


# %% test="test_jac_from_jvp"
check_builder("jac_from_jvp", jac_from_jvp)
### BEGIN HIDDEN TESTS
from autograder.probes.jacobians_hessians import probe_builder

probe_builder("jac_from_jvp", jac_from_jvp)
### END HIDDEN TESTS

# %% test="test_jac_from_vjp"
check_builder("jac_from_vjp", jac_from_vjp)
### BEGIN HIDDEN TESTS
from autograder.probes.jacobians_hessians import probe_builder

probe_builder("jac_from_vjp", jac_from_vjp)
### END HIDDEN TESTS

# %% [markdown]
# Why one mode can fail where the other works: reverse mode must store the values of every
# iteration to play them back, and a `lax.while_loop` runs a number of iterations that JAX
# cannot know when it compiles (here it is always 5, but JAX does not look at the condition),
# so there is no fixed-size place to store them. Forward mode just carries the tangents
# along as the loop runs and stores nothing. (A loop with a fixed count, `lax.scan` or
# `lax.fori_loop` with constant bounds, works in both modes.)

# %% tags=["demo"]
def settle(x):
    """Iterate y <- tanh(y / 2) + x while a counter is below 5: a loop JAX cannot reverse."""
    return jax.lax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, jnp.tanh(c[1] / 2) + x), (0, x))[1]


x_s = jnp.array([0.2, -0.4, 0.9])
J_settle = jac_from_jvp(settle, x_s)
print("forward mode works:\n", J_settle)
assert np.allclose(J_settle, fd_jacobian(settle, x_s), rtol=1e-7), "jac_from_jvp and central differences disagree"
try:
    jax.jacrev(settle)(x_s)
except ValueError as err:
    print("reverse mode fails:", str(err).split(". ")[0])

# %% [markdown]
# ## Part 4. Forward against reverse, measured
#
# The rule from Part 1, restated with the building blocks: `jacfwd` costs $n$ JVPs and
# `jacrev` costs $m$ VJPs. JAX batches them with `vmap`, so they run as a few large array
# operations rather than a Python loop, but the arithmetic still grows with $n$ for forward
# mode and with $m$ for reverse mode.
#
# The test function is a small network $f(x) = W_2 \tanh(W_1 x)$ with a hidden layer of
# $H = 64$, from $n$ inputs to $m$ outputs. Its arithmetic can be counted exactly. The $n$
# batched JVPs push the $n \times n$ identity through both layers, $H n^2 + m H n$
# multiply-adds; the $m$ VJPs pull the $m \times m$ identity back, $H m^2 + n H m$. The ratio
# is $n/m$ at every size. Run times follow that ratio only where arithmetic is all that
# matters. We `jit` each Jacobian function and time it twice:
#
# - the **first call** traces the Python function, compiles it with XLA and runs it;
# - **later calls** only run the compiled code. We keep the fastest of several, since
#   other programs on the machine can only slow a run down.
#
# The compile time is the first call minus a run. `block_until_ready()` waits for the
# result, since JAX returns before the computation has finished.

# %% tags=["demo"]
HIDDEN = 64


def network(n, m, seed=0):
    rng = np.random.default_rng(seed)
    W1 = jnp.asarray(rng.normal(size=(HIDDEN, n)) / np.sqrt(n))
    W2 = jnp.asarray(rng.normal(size=(m, HIDDEN)) / np.sqrt(HIDDEN))
    return lambda x: W2 @ jnp.tanh(W1 @ x)


def compile_and_run_time(jacobian_fn, x, min_repeats=5, min_seconds=0.05):
    """(compile seconds, run seconds) of jit(jacobian_fn) at x; the run time is the fastest
    of at least min_repeats calls lasting at least min_seconds in all."""
    fn = jax.jit(jacobian_fn)
    t0 = time.perf_counter()
    fn(x).block_until_ready()
    first = time.perf_counter() - t0
    runs = []
    while len(runs) < min_repeats or sum(runs) < min_seconds:
        t0 = time.perf_counter()
        fn(x).block_until_ready()
        runs.append(time.perf_counter() - t0)
    run = min(runs)
    return max(first - run, 0.0), run


FIXED = 64
SIZES = [4, 16, 64, 256, 1024]
shapes = sorted({(n, FIXED) for n in SIZES} | {(FIXED, m) for m in SIZES})
timings = {}  # (n, m) -> {"jacfwd": (compile, run), "jacrev": (compile, run)}
for n, m in shapes:
    f_nm, x_n = network(n, m), jnp.ones(n)
    timings[n, m] = {"jacfwd": compile_and_run_time(jax.jacfwd(f_nm), x_n),
                     "jacrev": compile_and_run_time(jax.jacrev(f_nm), x_n)}

# %% tags=["demo"]
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
for ax, vary in zip(axes[:2], ["n", "m"]):
    keys = [(s, FIXED) if vary == "n" else (FIXED, s) for s in SIZES]
    for mode, style in [("jacfwd", "o-"), ("jacrev", "s-")]:
        ax.loglog(SIZES, [timings[k][mode][1] * 1e3 for k in keys], style, label=mode)
    ax.axvline(FIXED, color="gray", ls=":", lw=1)
    other = "m" if vary == "n" else "n"
    ax.set(xlabel=f"{vary} ({'inputs' if vary == 'n' else 'outputs'})", ylabel="run time (ms)",
           title=f"{other} = {FIXED} fixed")
    ax.legend()
by_ratio = sorted(shapes, key=lambda k: k[0] / k[1])
ratio_nm = [n / m for n, m in by_ratio]
ratio_t = [timings[k]["jacfwd"][1] / timings[k]["jacrev"][1] for k in by_ratio]
axes[2].loglog(ratio_nm, ratio_t, "o", label="measured")
axes[2].loglog(ratio_nm, ratio_nm, "k--", lw=1, label="ratio = n / m")
axes[2].axhline(1, color="gray", lw=0.8)
axes[2].set(xlabel="n / m", ylabel="run time jacfwd / jacrev", title="above 1: reverse wins")
axes[2].legend()
plt.tight_layout()
plt.show()

rows = ["| n | m | jacfwd run | jacrev run | faster | run-time ratio | n / m | jacfwd compile | jacrev compile |",
        "|---:|---:|---:|---:|:---|---:|---:|---:|---:|"]
for (n, m), t in sorted(timings.items()):
    (cf, rf), (cr, rr) = t["jacfwd"], t["jacrev"]
    rows.append(f"| {n} | {m} | {rf * 1e3:.3f} ms | {rr * 1e3:.3f} ms | {'jacfwd' if rf < rr else 'jacrev'} "
                f"| {rf / rr:.2f} | {n / m:.3g} | {cf * 1e3:.0f} ms | {cr * 1e3:.0f} ms |")
display(Markdown("\n".join(rows)))
flops = {(n, m): (HIDDEN * n * (n + m), HIDDEN * m * (m + n)) for n, m in shapes}  # multiply-adds: jacfwd, jacrev
assert all(np.isclose(fwd / rev, n / m) for (n, m), (fwd, rev) in flops.items())  # the count above, checked
wide_shape, tall_shape = (max(SIZES), FIXED), (FIXED, max(SIZES))
print(f"n/m = {wide_shape[0] / wide_shape[1]:g}: jacfwd takes {timings[wide_shape]['jacfwd'][1] / timings[wide_shape]['jacrev'][1]:.1f} times "
      f"as long as jacrev; n/m = 1/{tall_shape[1] // tall_shape[0]}: jacrev takes "
      f"{timings[tall_shape]['jacrev'][1] / timings[tall_shape]['jacfwd'][1]:.1f} times as long as jacfwd")

# %% [markdown]
# What to read from it (your numbers depend on the machine and on what else is running):
#
# - The lines cross near $n = m$: **forward mode wins when $n < m$, reverse mode when
#   $m < n$**.
# - At the extremes (1024 against 64) the arithmetic differs by exactly $n/m = 16$, the run
#   times by a factor that depends on the machine (printed above: about 10 on a quiet
#   machine, often more on a busy one). Run time is not arithmetic alone. A fixed
#   cost of tens of microseconds per call shrinks the ratio while the cheaper run is short;
#   memory traffic inflates it, since `jacfwd` at $n = 1024$ pushes $n \times n$ arrays of
#   8 MB through the network, more than a processor's fast caches hold. The run-time ratio
#   equals $n/m$ only where both runs are long and their data fit in cache. What holds on
#   every machine is the direction: forward for tall Jacobians, reverse for wide ones.
# - Near $n = m$ the constant factors decide. Reverse mode stores the intermediate values
#   of the forward sweep and then reads them back, so it often loses a little when the
#   shapes are equal.
# - Very small problems are dominated by the fixed cost per call.
# - Compiling takes far longer than running, and depends little on $n$ and $m$. Compile
#   once, outside the loop that calls the function.

# %% [markdown]
# ## Part 5. Hessians
#
# The Hessian of a scalar function $f:\mathbb{R}^n\to\mathbb{R}$ is the Jacobian of its
# gradient, the $n\times n$ matrix
#
# $$H_{ij} = \frac{\partial^2 f}{\partial x_i\,\partial x_j}.$$
#
# `jax.hessian(f)` is `jax.jacfwd(jax.jacrev(f))`: the gradient by reverse mode ($n$ inputs,
# one output), then its Jacobian by forward mode ($n$ inputs, $n$ outputs, where forward
# mode avoids the storage of reverse mode). Every order of the two modes gives the same
# matrix.

# %% tags=["demo"]
def wavy(x):
    """A scalar test function with coupled inputs."""
    return jnp.sum(jnp.sin(x) * jnp.roll(x, 1)) + 0.25 * (x @ x) ** 2


x_h = jnp.array([0.5, -1.0, 2.0, 0.3])
H = jax.jit(jax.hessian(wavy))(x_h)
for name, builder in [("jacfwd(jacrev)", jax.jacfwd(jax.jacrev(wavy))),
                      ("jacrev(jacfwd)", jax.jacrev(jax.jacfwd(wavy))),
                      ("jacrev(jacrev)", jax.jacrev(jax.jacrev(wavy)))]:
    assert np.allclose(jax.jit(builder)(x_h), H, rtol=1e-13), name
H_fd = fd_jacobian(jax.jit(jax.grad(wavy)), x_h)  # central differences of the exact gradient
print("Hessian:\n", np.round(H, 6))
print("max |H - H^T| =", np.abs(H - H.T).max(), "   max |H - central difference| =", np.abs(H - H_fd).max())
assert np.allclose(H, H.T, rtol=1e-13, atol=1e-13), "a Hessian of a smooth function is symmetric"
assert np.allclose(H, H_fd, rtol=1e-6, atol=1e-8)

# %% [markdown]
# The Hessian is **symmetric** because mixed partial derivatives of a twice continuously
# differentiable function do not depend on the order (Schwarz's theorem). A general
# Jacobian is not symmetric; that is why getting its orientation right matters.
#
# ### Hessian-vector products
#
# Forming $H$ costs $n$ gradient-sized passes and $n^2$ numbers of memory. Many methods
# (Newton-CG, Lanczos for the extreme eigenvalues) only need products $Hv$. Since
# $Hv$ is the directional derivative of the gradient along $v$, it is one JVP of the
# gradient function: forward over reverse, a few gradient evaluations, no matrix.

# %% [markdown]
# ### Exercise `hvp`
#
# Write `hvp(f, x, v)`, returning $H(x)\,v$ for a scalar function `f` of a 1-d float
# array `x` and a direction `v` of the same shape. The result is an array of that shape too.
# Do not form the Hessian: use `jax.jvp` on `jax.grad(f)`. The grader traces `hvp` with
# `jax.make_jaxpr` for a function of 40 variables: a program that holds a 40 x 40 array has
# formed the Hessian and earns no points. Keep it traceable (JAX operations only).

# %% answer="hvp"
def hvp(f, x, v):
    """H(x) @ v for the Hessian H of f, as a jvp of the gradient."""
    ### BEGIN SOLUTION
    return jax.jvp(jax.grad(f), (x,), (v,))[1]
    ### END SOLUTION


# %% test="test_hvp"
def bowl(x):
    return jnp.sum(jnp.sin(x) * jnp.roll(x, 1)) + 0.25 * (x @ x) ** 2


x_c, v_c = jnp.array([0.5, -1.0, 2.0, 0.3]), jnp.array([1.0, 2.0, -1.0, 0.5])
got = np.asarray(hvp(bowl, x_c, v_c), dtype=float)
want = np.asarray(jax.jit(jax.hessian(bowl))(x_c) @ v_c)
assert got.shape == (4,), f"hvp should return a vector of 4 numbers, got shape {got.shape}"
assert np.allclose(got, want, rtol=1e-10), f"hvp(f, x, v) should be H @ v = {want.tolist()}, got {got.tolist()}"
### BEGIN HIDDEN TESTS
from autograder.probes.jacobians_hessians import probe_hvp

probe_hvp(hvp)
### END HIDDEN TESTS

# %% [markdown]
# What it saves, for $n = 2000$: the full Hessian against one product (both compiled first).

# %% tags=["demo"]
n_big = 2000
x_big = jnp.asarray(np.random.default_rng(2).normal(size=n_big))
v_big = jnp.asarray(np.random.default_rng(3).normal(size=n_big))
full = jax.jit(lambda x, v: jax.hessian(wavy)(x) @ v)
product = jax.jit(lambda x, v: hvp(wavy, x, v))
for fn in (full, product):
    fn(x_big, v_big).block_until_ready()  # compile


def best_time(fn, repeats=3):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(x_big, v_big).block_until_ready()
        times.append(time.perf_counter() - t0)
    return min(times)


t_full, t_prod = best_time(full), best_time(product)
print(f"Hessian then product: {t_full * 1e3:8.2f} ms, {n_big ** 2 * 8 / 1e6:.0f} MB for H")
print(f"hvp:                  {t_prod * 1e3:8.2f} ms, no matrix")
assert np.allclose(full(x_big, v_big), product(x_big, v_big), rtol=1e-9, atol=1e-9)

# %% [markdown]
# ## Part 6. Optimisation with exact derivatives
#
# The Rosenbrock function has a long curved valley with its minimum $f = 0$ at $(1, 1)$:
#
# $$f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2 .$$
#
# Its gradient and Hessian by hand, to check JAX against:
#
# $$\nabla f = \begin{pmatrix} -2(1 - x) - 400x(y - x^2) \\ 200(y - x^2) \end{pmatrix}, \qquad
# H = \begin{pmatrix} 2 - 400y + 1200x^2 & -400x \\ -400x & 200 \end{pmatrix}.$$

# %% tags=["demo"]
def rosenbrock(v):
    x, y = v[0], v[1]
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


rosen_grad = jax.jit(jax.grad(rosenbrock))
rosen_hess = jax.jit(jax.hessian(rosenbrock))
for x, y in np.random.default_rng(4).uniform(-2, 2, (5, 2)):
    assert np.allclose(rosen_grad(jnp.array([x, y])), [-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)])
    assert np.allclose(rosen_hess(jnp.array([x, y])), [[2 - 400 * y + 1200 * x ** 2, -400 * x], [-400 * x, 200]])
print("Hessian at the minimum (1, 1):\n", rosen_hess(jnp.array([1.0, 1.0])))

# %% [markdown]
# ### `scipy.optimize.minimize`, with and without derivatives
#
# From the classic start $(-1.2, 1)$, five ways:
#
# - **Nelder-Mead** uses function values only;
# - **BFGS** without a gradient estimates it by finite differences, at the cost of extra
#   function evaluations and some accuracy;
# - **BFGS** with the exact gradient from `jax.grad`;
# - **dogleg** and **trust-exact** with the exact gradient and Hessian from `jax.hessian`.
#
# SciPy counts how often it called each function. All the gradient-based methods stop at the
# same tolerance, a gradient norm below `gtol` $= 10^{-8}$, so their distances to $(1, 1)$
# compare like with like (Nelder-Mead, which never sees a gradient, stops when its simplex
# shrinks below `xatol`).

# %% tags=["demo"]
x_start = np.array([-1.2, 1.0])
f_np = lambda v: float(rosenbrock(v))
grad_np = lambda v: np.asarray(rosen_grad(jnp.asarray(v)))
hess_np = lambda v: np.asarray(rosen_hess(jnp.asarray(v)))
GTOL = {"gtol": 1e-8}  # one stopping rule for every method that uses a gradient
runs = {
    ("Nelder-Mead", "none"): dict(method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14, "maxfev": 5000}),
    ("BFGS", "none (finite differences)"): dict(method="BFGS", options=GTOL),
    ("BFGS", "gradient"): dict(method="BFGS", jac=grad_np, options=GTOL),
    ("dogleg", "gradient + Hessian"): dict(method="dogleg", jac=grad_np, hess=hess_np, options=GTOL),
    ("trust-exact", "gradient + Hessian"): dict(method="trust-exact", jac=grad_np, hess=hess_np, options=GTOL),
}
table = ["| method | derivatives given | f evaluations | gradient evaluations | Hessian evaluations "
         "| iterations | distance to (1, 1) |", "|:--|:--|--:|--:|--:|--:|--:|"]
results = {}
for (method, given), options in runs.items():
    res = minimize(f_np, x_start, **options)
    results[method, given] = res
    table.append(f"| {method} | {given} | {res.nfev} | {getattr(res, 'njev', '-')} | {getattr(res, 'nhev', '-')} "
                 f"| {res.nit} | {np.linalg.norm(res.x - 1):.1e} |")
display(Markdown("\n".join(table)))

# %% [markdown]
# Without derivatives, Nelder-Mead needs hundreds of function evaluations. BFGS with finite
# differences pays one extra function evaluation per input (two here) for every gradient
# it estimates (SciPy counts the estimates as gradient evaluations and their calls as
# function evaluations). Worse, it stops about $10^{-5}$ from the minimum while reporting
# success: its forward differences are off by about $h f''/2$, with $h \approx 10^{-8}$ and
# curvatures in the hundreds, so the *estimated* gradient falls below `gtol` where the true
# one has not. With the exact gradient BFGS needs a fraction of the function evaluations
# and stops where the true gradient is below $10^{-8}$, within about $10^{-8}$ of $(1, 1)$
# or closer. With the Hessian's curvature as well, the trust-region methods need fewer
# iterations still, a few dozen evaluations of each, and stop just as close.
#
# BFGS never sees the Hessian; it builds an approximation of its inverse from the
# gradients it has seen. Near the minimum that approximation should resemble the exact
# Hessian, to within a few per cent:

# %% tags=["demo"]
bfgs = results["BFGS", "gradient"]
print("inverse of BFGS's inverse-Hessian estimate:\n", np.linalg.inv(bfgs.hess_inv))
print("exact Hessian at its end point:\n", hess_np(bfgs.x))
for (method, given), res in results.items():
    if given != "none (finite differences)" and method != "Nelder-Mead":
        assert np.linalg.norm(res.x - 1) < 1e-7, (method, "the exact derivatives should end near (1, 1)")

# %% [markdown]
# ### Exercise `newton`
#
# Newton's method minimises the quadratic model $f(x + s) \approx f(x) + \nabla f \cdot s +
# \tfrac12 s^\top H s$ at each step: set its gradient $\nabla f + Hs$ to zero, so
# $s = -H^{-1}\nabla f$. With a damping factor $0 < \alpha \le 1$,
#
# $$x_{k+1} = x_k - \alpha\, H(x_k)^{-1}\, \nabla f(x_k).$$
#
# Write `newton(f, x0, steps, damping=1.0)`. `f` is a scalar function of a 1-d array (written
# with `jax.numpy`), `x0` the start. Return **all** iterates as an array of shape
# `(steps + 1, n)`, `x0` first. Get the gradient and Hessian with `jax.grad` and
# `jax.hessian`, and solve $H s = \nabla f$ with `jnp.linalg.solve` rather than inverting
# $H$. Wrapping the two derivative functions in `jax.jit` once, before the loop, makes every
# step after the first fast (Part 4 measured why).

# %% answer="newton"
def newton(f, x0, steps, damping=1.0):
    """Iterates [x0, x1, ..., x_steps] of damped Newton's method on f."""
    ### BEGIN SOLUTION
    grad_f, hess_f = jax.jit(jax.grad(f)), jax.jit(jax.hessian(f))  # compiled once, used every step
    xs = [jnp.asarray(x0, dtype=jnp.float64)]
    for _ in range(steps):
        x = xs[-1]
        xs.append(x - damping * jnp.linalg.solve(hess_f(x), grad_f(x)))
    return jnp.stack(xs)
    ### END SOLUTION


# %% test="test_newton"
Q = jnp.array([[3.0, 1.0], [1.0, 2.0]])
b = jnp.array([1.0, -1.0])
quadratic = lambda x: 0.5 * x @ Q @ x - b @ x
x_star = np.linalg.solve(Q, b)
path = np.asarray(newton(quadratic, np.array([2.0, 2.0]), 1), dtype=float)
assert path.shape == (2, 2), (
    f"newton(f, x0, steps=1) should return an array of shape (2, 2), x0 and then x1; got shape {path.shape}")
assert np.allclose(path[0], [2.0, 2.0]), f"the first row should be x0 = [2, 2], got {path[0]}"
assert not np.allclose(path[1], 2 * path[0] - x_star), (
    "newton went uphill: the step has the wrong sign. Use x - damping * solve(H(x), grad f(x))")
assert np.allclose(path[1], x_star), (
    f"on a quadratic one full Newton step reaches the minimum {x_star}, got {path[1]}")
half = np.asarray(newton(quadratic, np.array([2.0, 2.0]), 3, damping=0.5), dtype=float)
want_half = x_star + 0.5 ** np.arange(4)[:, None] * (np.array([2.0, 2.0]) - x_star)
assert np.allclose(half, want_half), (
    f"with damping 0.5 the distance to the minimum should halve each step: expected {want_half.tolist()}, got {half.tolist()}")
valley = lambda v: (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2  # the Rosenbrock function
rosen_path = np.asarray(newton(valley, np.array([-1.2, 1.0]), 7), dtype=float)
assert np.allclose(rosen_path[-1], [1.0, 1.0], atol=1e-10), f"7 Newton steps on Rosenbrock from (-1.2, 1) should reach (1, 1), got {rosen_path[-1]}"
### BEGIN HIDDEN TESTS
from autograder.probes.jacobians_hessians import probe_newton

probe_newton(newton)
### END HIDDEN TESTS

# %% [markdown]
# Pure Newton from $(-1.2, 1)$ is within $10^{-10}$ of $(1, 1)$ after six steps and exactly
# on it after seven, one gradient and one Hessian per step. But look at the function values
# along the way:

# %% tags=["demo"]
newton_path = np.asarray(newton(rosenbrock, x_start, 7), dtype=float)
for k, point in enumerate(newton_path):
    print(f"step {k}: x = {point[0]:+.8f}, y = {point[1]:+.8f}, f = {rosenbrock(point):.3e}")

# %% [markdown]
# At step 2 the function jumps *up* to over a thousand, and it rises again at step 4.
# Newton's method looks for a point where the quadratic model is flat, and far from the
# minimum the model can be poor or not even convex. Damping shortens the steps; trust-region
# methods such as dogleg and trust-exact limit them to where the model is trusted and
# reject a step that does not lower $f$, which is why SciPy's versions never go uphill.
# Explore: move the start and the damping and watch the path.

# %% tags=["demo"]
xx, yy = np.meshgrid(np.linspace(-2, 2, 200), np.linspace(-1, 3, 200))
levels = np.log10(1 + (1 - xx) ** 2 + 100 * (yy - xx ** 2) ** 2)


def show_newton(x0, y0, damping):
    path = np.asarray(newton(rosenbrock, np.array([x0, y0]), 25, damping=damping), dtype=float)
    dist = np.linalg.norm(path - 1.0, axis=1)
    reached = np.flatnonzero(dist < 1e-8)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.contour(xx, yy, levels, 20, cmap="Greys")
    ax1.plot(path[:, 0], path[:, 1], "o-", color="tab:red", ms=3)
    ax1.plot(1, 1, "*", color="gold", ms=14, mec="k")
    ax1.set(xlim=(-2, 2), ylim=(-1, 3), xlabel="x", ylabel="y",
            title="reached (1, 1) in %s steps" % (reached[0] if reached.size else "more than 25"))
    ax2.semilogy([float(rosenbrock(p)) + 1e-30 for p in path], "o-")
    ax2.set(xlabel="step", ylabel="f(x_k)", title=f"damping {damping:g}")
    plt.tight_layout()
    plt.show()


start_x = widgets.FloatSlider(value=-1.2, min=-2.0, max=2.0, step=0.1, description="x0")
start_y = widgets.FloatSlider(value=1.0, min=-1.0, max=3.0, step=0.1, description="y0")
damping_slider = widgets.FloatSlider(value=1.0, min=0.1, max=1.0, step=0.05, description="damping")
display(widgets.VBox([widgets.HBox([start_x, start_y, damping_slider]),
                      widgets.interactive_output(show_newton, {"x0": start_x, "y0": start_y, "damping": damping_slider})]))

# %% [markdown]
# Things to try: from the default start, damping 0.5 follows the valley and never goes
# uphill, but it only ever takes half a Newton step, so the error shrinks by a constant
# factor per step (linear convergence) and 25 steps are not enough. Full steps, once close,
# double the number of correct digits at every step (quadratic convergence). From $(0, 0)$
# full Newton needs two steps; from most starts it goes uphill at least once on the way.
#
# ## Checkpoint

# %% tags=["demo"]
from IPython.display import Javascript, display
from jupyterquiz import display_quiz

# JupyterLab 4 keeps a MathJax without typeset() in window.MathJax. jupyterquiz would then
# replace it and fetch another MathJax from the web, and throw on every answer when that
# fails. These questions have no maths: give the quiz a typeset() that does nothing.
display(Javascript("if (window.MathJax && !window.MathJax.typeset) { window.MathJax.typeset = () => {}; }"))
display_quiz([
    {"question": "f maps 3 inputs to 500 outputs. Which is cheaper for its full Jacobian?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "jax.jacfwd", "correct": True,
          "feedback": "Right: 3 forward passes, one per input, against 500 reverse passes."},
         {"answer": "jax.jacrev", "correct": False,
          "feedback": "jacrev needs one reverse pass per output: 500 of them."},
         {"answer": "always the same", "correct": False,
          "feedback": "The cost grows with n for forward mode and with m for reverse mode."}]},
    {"question": "A loss maps a million parameters to one number. How many reverse passes give its gradient?",
     "type": "numeric", "precision": 1,
     "answers": [{"type": "value", "value": 1, "correct": True,
                  "feedback": "Right: one pass per output, and there is one output."},
                 {"type": "default", "feedback": "Reverse mode needs one pass per output."}]},
    {"question": "What shape does jax.jacfwd(f)(x) have for f from 4 inputs to 2 outputs?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "(2, 4)", "correct": True, "feedback": "Right: one row per output, one column per input."},
         {"answer": "(4, 2)", "correct": False, "feedback": "That is the transpose: rows are outputs."},
         {"answer": "(4,)", "correct": False, "feedback": "That is a gradient's shape; f has two outputs."}]},
    {"question": "In polar coordinates, what is |det J| at r = 2, theta = 1?",
     "type": "numeric", "precision": 3,
     "answers": [{"type": "value", "value": 2, "correct": True,
                  "feedback": "Right: the area factor of the polar map is r."},
                 {"type": "value", "value": 1, "correct": False,
                  "feedback": "Without the factor you would get 2 pi for the unit disc, not pi."},
                 {"type": "default", "feedback": "Compute det [[cos t, -r sin t], [sin t, r cos t]]."}]},
    {"question": "How many full Newton steps minimise a strictly convex quadratic exactly?",
     "type": "numeric", "precision": 1,
     "answers": [{"type": "value", "value": 1, "correct": True,
                  "feedback": "Right: the quadratic model is the function itself."},
                 {"type": "default", "feedback": "Newton minimises the local quadratic model exactly."}]},
    {"question": "Roughly what does one Hessian-vector product cost, computed as a jvp of the gradient?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "a few gradient evaluations, whatever n is", "correct": True,
          "feedback": "Right: one forward pass through the gradient computation."},
         {"answer": "n gradient evaluations", "correct": False,
          "feedback": "That is the cost of forming the whole Hessian."},
         {"answer": "n squared function evaluations", "correct": False,
          "feedback": "That would be finite differences for the whole Hessian."}]},
])

# %% [markdown]
# ## Summary
#
# - The Jacobian of $f:\mathbb{R}^n\to\mathbb{R}^m$ is $m\times n$: rows are outputs,
#   columns inputs.
# - `jax.jvp` gives $Jv$ (forward mode), `jax.vjp` gives $uJ$ (reverse mode). `jacfwd` is
#   $n$ JVPs, `jacrev` is $m$ VJPs: forward mode is cheaper when $n < m$, reverse mode when
#   $m < n$. Compilation is a one-off cost much larger than a run.
# - A Jacobian determinant is a local area factor: $r$ for polar coordinates.
# - `jax.hessian` is forward over reverse; a Hessian is symmetric, and $Hv$ costs a few
#   gradients without forming $H$.
# - Exact gradients and Hessians make optimisers converge in far fewer evaluations; pure
#   Newton converges fast near a minimum but can go uphill far from it.
