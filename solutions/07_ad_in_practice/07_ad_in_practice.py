# %% [markdown]
# # 7. AD in practice: when gradients go wrong, custom rules, implicit differentiation, memory
#
# *Automatic differentiation, from dual numbers to JAX* · notebook 7 of 7
#
# You can now differentiate any program with JAX or PyTorch. This notebook is about what goes
# wrong when you do it for real, and about the tools that fix it: derivatives at points
# where there is none, NaN gradients from a harmless-looking `jnp.where`, overflow in a
# formula that is fine on paper, reverse mode that cannot go through a solver loop, and
# reverse mode that runs out of memory on a long simulation. We use the problems the
# course has already built: the RLC circuit of notebooks 2 to 4, the fixed-point loop
# `settle` of notebook 6 and the logistic loss of notebook 5.
#
# You will:
# 1. see what JAX and PyTorch return at kinks (`abs`, `relu`, `sqrt`, `max`), and why any
#    answer there is a convention;
# 2. meet the `jnp.where` NaN trap and fix it with a second `where`; use `stop_gradient`;
# 3. give functions derivative rules of your own with `jax.custom_jvp` and `jax.custom_vjp`:
#    a softplus that never overflows, gradient clipping, and a stable log-sigmoid;
# 4. differentiate a solver loop by the implicit function theorem instead of through its
#    iterations;
# 5. measure the memory of reverse mode (PyTorch's tape, JAX's residuals) and trade it for
#    recomputation with `jax.checkpoint`;
# 6. compare the adjoint method with forward sensitivities as the number of parameters grows;
# 7. read reverse mode as "linearise, then transpose" in JAX's own programs.
#
# **How to work.** Run the cells from top to bottom. Cells marked *Exercise* contain
# `raise NotImplementedError(...)`: replace that line with your code. The cell after each
# exercise is a self-check; if an `assert` fails, its message tells you what to look at.
# Hidden tests then try your code on inputs you have not seen, including extreme ones.

# %% readonly="setup"
import math
import time
from functools import partial

import ipywidgets as widgets
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display
from scipy.integrate import solve_ivp

jax.config.update("jax_enable_x64", True)  # float64: frameworks are compared to ~1e-12 below
torch.set_default_dtype(torch.float64)


def central_difference(f, x, h=1e-6):
    """(f(x + h) - f(x - h)) / (2 h): the second opinion on a derivative."""
    return (f(x + h) - f(x - h)) / (2 * h)


# %% [markdown]
# ## Part 1. Kinks: what the libraries return where there is no derivative
#
# $|x|$ has no derivative at $0$: its slope is $-1$ just left of $0$ and $+1$ just right.
# What it does have is a set of **subgradients**: every slope $g$ with
# $|x| \ge g\,x$ for all $x$, that is, every line through the origin that stays below the
# graph. For $|x|$ at $0$ that is any $g \in [-1, 1]$; for $\mathrm{relu}(x) = \max(x, 0)$ at
# $0$ it is any $g \in [0, 1]$.
#
# A library asked for "the derivative" at $0$ must return one number. Which one is a
# **convention**, chosen by whoever wrote the derivative rule. Here is what JAX and PyTorch
# choose, next to the slopes just left and just right of the point (one-sided differences
# with $h = 10^{-7}$), which bracket every subgradient.

# %% tags=["demo"]
def jax_derivative(f, x):
    return np.asarray(jax.grad(f)(jnp.asarray(x, dtype=jnp.float64)))


def torch_derivative(f, x):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    f(t).backward()
    return t.grad.numpy()


def one_sided(f, x, h=1e-7):
    """(slope just left, slope just right) of a scalar NumPy function at x."""
    with np.errstate(invalid="ignore"):
        return (f(x) - f(x - h)) / h, (f(x + h) - f(x)) / h


kinks = [  # (name, point, JAX version, PyTorch version, NumPy version for the one-sided slopes)
    ("abs(x)", 0.0, jnp.abs, torch.abs, np.abs),
    ("relu(x)", 0.0, jax.nn.relu, torch.relu, lambda x: np.maximum(x, 0.0)),
    ("maximum(x, 0)", 0.0, lambda x: jnp.maximum(x, 0.0), lambda x: torch.maximum(x, torch.zeros(())),
     lambda x: np.maximum(x, 0.0)),
    ("clip(x, 0, 1)", 0.0, lambda x: jnp.clip(x, 0.0, 1.0), lambda x: torch.clamp(x, 0.0, 1.0),
     lambda x: np.clip(x, 0.0, 1.0)),
    ("max(x, 2 - x)", 1.0, lambda x: jnp.max(jnp.stack([x, 2 - x])), lambda x: torch.max(torch.stack([x, 2 - x])),
     lambda x: max(x, 2 - x)),
    ("sqrt(x)", 0.0, jnp.sqrt, torch.sqrt, np.sqrt),
]
rows = ["| function | at | slope just left | slope just right | JAX | PyTorch |", "|:--|--:|--:|--:|--:|--:|"]
for name, x, f_jax, f_torch, f_np in kinks:
    left, right = one_sided(f_np, x)
    by_jax, by_torch = float(jax_derivative(f_jax, x)), float(torch_derivative(f_torch, x))
    rows.append(f"| `{name}` | {x:g} | {left:.4g} | {right:.4g} | {by_jax:g} | {by_torch:g} |")
    for value in (by_jax, by_torch):  # every answer is a subgradient, or infinite where the slope is
        assert (np.isinf(value) and right > 1e3) or min(left, right) - 1e-6 <= value <= max(left, right) + 1e-6, name
norm_jax = jax_derivative(jnp.linalg.norm, [0.0, 0.0])
norm_torch = torch_derivative(torch.linalg.norm, [0.0, 0.0])
rows.append(f"| `norm([x, y])` | (0, 0) | | | {norm_jax} | {norm_torch} |")
display(Markdown("\n".join(rows)))

# %% [markdown]
# What to read from it (the numbers are those of the versions installed here; they have
# changed between versions before):
#
# - Every finite answer lies between the two one-sided slopes: each library returns *a*
#   subgradient, and they do not always return the same one. JAX gives $|x|$ the slope
#   $1$ at $0$ where PyTorch gives $0$.
# - `relu(x)` and `maximum(x, 0)` are the same function, but JAX's `relu` has its own rule
#   (slope $0$ at $0$) while `maximum` splits a tie evenly ($\tfrac12$). **AD differentiates
#   the program, not the function** (notebook 2 said the same of the ODE and its solver).
# - $\sqrt{x}$ at $0$ has an infinite slope from the right and no left side at all; both
#   return `inf`, which poisons everything it is multiplied with later.
# - The norm $\sqrt{x^2 + y^2}$ at the origin has the whole unit disc as subgradients.
#   PyTorch returns $0$; JAX returns `nan`, because its rule is
#   $\tfrac{1}{2\sqrt{s}}\cdot 2x$ with $s = 0$: infinity times zero. Part 2 is about exactly
#   this product.
#
# A picture of the subgradients, the lines through the kink that stay below the graph:

# %% tags=["demo"]
xs_plot = np.linspace(-1.5, 1.5, 301)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
for ax, name, values, slopes in [(ax1, "|x|", np.abs(xs_plot), np.linspace(-1, 1, 5)),
                                 (ax2, "relu(x)", np.maximum(xs_plot, 0), np.linspace(0, 1, 5))]:
    for g in slopes:
        ax.plot(xs_plot, g * xs_plot, color="tab:orange", lw=0.8, alpha=0.7)
    ax.plot(xs_plot, values, "k", lw=2, label=name)
    ax.plot([], [], color="tab:orange", label="subgradient lines, slopes " + f"{slopes[0]:g} to {slopes[-1]:g}")
    ax.set(xlabel="x", ylim=(-1, 1.5), title=f"{name}: every slope in [{slopes[0]:g}, {slopes[-1]:g}] is a subgradient at 0")
    ax.legend(fontsize=8, loc="upper center")
plt.tight_layout()
plt.show()

# %% [markdown]
# ### When the convention matters
#
# A random float lands exactly on a kink with probability zero, so usually the choice does
# not matter. It does when a program puts you there *by construction*: a weight initialised
# to zero, a ReLU whose input is exactly zero, an $L_1$ penalty $|w|$ at $w = 0$, two equal
# entries in a `max`.
#
# Here is a model $\hat y = \mathrm{relu}(w\,x)$ fitted to data made with $w = 2$, starting
# from $w = 0$. With `jax.nn.relu` the gradient at the start is exactly $0$, and gradient
# descent never moves. Spelled `jnp.maximum(w * x, 0)`, the same model gets half a slope at
# the kink and learns. A central difference, which averages the two one-sided slopes, sees
# the second convention.

# %% tags=["demo"]
x_data = jnp.linspace(0.1, 2.0, 20)
y_data = 2.0 * x_data


def fit_from_zero(activation, steps=50, learning_rate=0.1):
    loss = lambda w: jnp.mean((activation(w * x_data) - y_data) ** 2)
    dloss = jax.jit(jax.grad(loss))
    w = 0.0
    for _ in range(steps):
        w = w - learning_rate * dloss(w)
    return float(w), float(dloss(0.0)), float(central_difference(loss, 0.0))


for label, activation in [("jax.nn.relu", jax.nn.relu), ("jnp.maximum(., 0)", lambda z: jnp.maximum(z, 0.0))]:
    w_end, g0, fd0 = fit_from_zero(activation)
    print(f"{label:18s} gradient at w = 0: {g0:+.4f} (central difference {fd0:+.4f}); w after 50 steps: {w_end:.4f}")
    assert g0 == 0.0 or np.isclose(g0, fd0, rtol=1e-6), "a nonzero answer here is the central difference's"

# %% [markdown]
# Neither answer is wrong: both are subgradients. But a training run that starts on a kink
# depends on which one your library picked. That is one reason networks are initialised
# with random weights, never all zeros.
#
# ## Part 2. The `jnp.where` NaN trap
#
# A guard like "take $\sqrt{x}$ where $x > 0$, and $0$ elsewhere" looks safe:

# %% tags=["demo"]
def sqrt_or_zero(x):
    return jnp.where(x > 0, jnp.sqrt(x), 0.0)


xs_guard = jnp.array([-1.0, 0.0, 4.0])
print("values:             ", sqrt_or_zero(xs_guard))
print("jax.grad (reverse): ", jax.vmap(jax.grad(sqrt_or_zero))(xs_guard))
print("jax.jvp (forward):  ", jax.vmap(lambda x: jax.jvp(sqrt_or_zero, (x,), (1.0,))[1])(xs_guard))

# %% [markdown]
# The values are right, and so is forward mode, but reverse mode returns `nan` at $-1$ and
# at $0$, where the function is flat. The reason: `jnp.where(c, a, b)` computes **both**
# `a` and `b` and then selects. Reverse mode sends the cotangent back through both
# branches, a $1$ to the branch that was selected and a $0$ to the other. The other branch
# still applies its own derivative rule to that $0$:
#
# $$\frac{d}{dx}\sqrt{x}\,\Big|_{x=-1} \cdot 0 = \texttt{nan}\cdot 0 = \texttt{nan},
# \qquad \frac{d}{dx}\sqrt{x}\,\Big|_{x=0} \cdot 0 = \infty\cdot 0 = \texttt{nan}.$$
#
# In floating point $0 \cdot \texttt{nan}$ and $0 \cdot \infty$ are `nan`, and a `nan` in one
# entry of a gradient spreads to every parameter it touches. Forward mode escapes here
# because it selects the *tangents* with the same `where` instead of multiplying them by 0.
#
# **The fix is a second `where`** that keeps the unused branch away from its bad inputs,
# so that its derivative there is finite and $0 \cdot \text{finite} = 0$:

# %% tags=["demo"]
def sqrt_or_zero_safe(x):
    positive = x > 0
    x_safe = jnp.where(positive, x, 1.0)  # any input where sqrt is smooth; its value is never used
    return jnp.where(positive, jnp.sqrt(x_safe), 0.0)


grads_safe = jax.vmap(jax.grad(sqrt_or_zero_safe))(xs_guard)
print("values:  ", sqrt_or_zero_safe(xs_guard))
print("jax.grad:", grads_safe)
assert np.allclose(sqrt_or_zero_safe(xs_guard), sqrt_or_zero(xs_guard))
assert np.allclose(grads_safe, [0.0, 0.0, 0.25]) and np.isclose(
    grads_safe[2], central_difference(sqrt_or_zero_safe, 4.0), rtol=1e-8)

# %% [markdown]
# At $0$ the answer is now $0$, a convention again ($\sqrt{x}$ has slope $+\infty$ from the
# right). The rule of thumb: **if a branch of `jnp.where` can be `inf` or `nan`, or have an
# infinite derivative, where it is not selected, guard its input too.** The same holds for
# `jnp.select`, `jnp.piecewise` and `lax.cond` inside `vmap` (which becomes a `where`).
#
# ### `stop_gradient`
#
# `jax.lax.stop_gradient(x)` is `x` as a value, and has derivative $0$: AD treats it as a
# constant. PyTorch's `tensor.detach()` is the same. It is **not** a fix for the trap: a
# stopped branch has no `nan`, but it has no derivative either, so the real gradient at
# $x = 4$ disappears too:

# %% tags=["demo"]
stopped = lambda x: jnp.where(x > 0, jnp.sqrt(jax.lax.stop_gradient(x)), 0.0)
print("stop_gradient inside the branch:", jax.vmap(jax.grad(stopped))(xs_guard), "(the 0.25 at x = 4 is lost)")

# %% [markdown]
# Where it is the right tool: when part of a computation must count as a constant. A
# classic is the **straight-through estimator**. Rounding has derivative $0$ almost
# everywhere, so nothing upstream of a `round` learns. Writing
# `x + stop_gradient(round(x) - x)` gives the rounded value forwards and the derivative of
# the identity backwards:

# %% tags=["demo"]
def round_straight_through(x):
    return x + jax.lax.stop_gradient(jnp.round(x) - x)


xs_round = jnp.array([0.3, 1.7, -2.2])
assert np.array_equal(round_straight_through(xs_round), jnp.round(xs_round))
print("values:               ", round_straight_through(xs_round))
print("d round / dx:         ", jax.vmap(jax.grad(jnp.round))(xs_round))
print("d straight-through/dx:", jax.vmap(jax.grad(round_straight_through))(xs_round))

# %% [markdown]
# ### Exercise `exprel`
#
# The relative exponential
#
# $$\operatorname{exprel}(x) = \frac{e^x - 1}{x}, \qquad \operatorname{exprel}(0) = 1,$$
#
# is smooth everywhere (its Taylor series is $1 + \frac{x}{2} + \frac{x^2}{6} +
# \frac{x^3}{24} + \dots$, so $\operatorname{exprel}'(0) = \tfrac12$). It appears in
# exponential integrators and in growth and decay formulas. Written as a fraction it has a
# $0/0$ at $x = 0$, and its derivative
#
# $$\operatorname{exprel}'(x) = \frac{x e^x - (e^x - 1)}{x^2}$$
#
# subtracts two nearly equal numbers of size about $1/x$ when $x$ is small.
#
# Write `exprel(x)` with `jax.numpy`, for a float `x` or an array of floats (elementwise),
# such that **its value and its derivative by `jax.grad` are both accurate to a relative
# error of $10^{-9}$ at every $x$ in $[-700, 700]$, $x = 0$ and $|x| = 10^{-12}$
# included**. The hidden tests check exactly that, at many points.
#
# Hints: `jnp.expm1(x)` computes $e^x - 1$ without cancellation. Near $0$ use a Taylor
# polynomial: a branch that returns the constant $1$ at $x = 0$ has derivative $0$ there,
# not $\tfrac12$. And remember the trap: the branch you do not select at $x = 0$ is still
# differentiated there.

# %% answer="exprel"
def exprel(x):
    """(exp(x) - 1) / x, with exprel(0) = 1; value and jax.grad accurate everywhere."""
    ### BEGIN SOLUTION
    x = jnp.asarray(x, dtype=jnp.float64)
    small = jnp.abs(x) < 1e-3
    x_safe = jnp.where(small, 1.0, x)  # the fraction's input, kept away from 0
    taylor = 1 + x / 2 + x ** 2 / 6 + x ** 3 / 24 + x ** 4 / 120
    return jnp.where(small, taylor, jnp.expm1(x_safe) / x_safe)
    ### END SOLUTION


# %% test="test_exprel"
def exprel_and_derivative(x):
    """Reference values: 30 Taylor terms for |x| < 0.5, the closed forms elsewhere (NumPy)."""
    if abs(x) < 0.5:
        k = np.arange(30)
        factorials = np.array([math.factorial(int(j) + 1) for j in k], dtype=float)
        return float(np.sum(x ** k / factorials)), float(np.sum(k[1:] * x ** (k[1:] - 1) / factorials[1:]))
    return float(np.expm1(x) / x), float((x * np.exp(x) - np.expm1(x)) / x ** 2)


points_check = np.array([0.0, 1e-12, -3e-9, 2e-7, -1e-5, 9e-5, -9e-4, 1e-3, 9e-3, -0.02, 0.7, -3.0, 25.0,
                         -700.0, 700.0])
values_check = np.asarray(jax.jit(exprel)(jnp.asarray(points_check)))  # jit: compiled once, not op by op
slopes_check = np.asarray(jax.jit(jax.vmap(jax.grad(exprel)))(jnp.asarray(points_check)))
assert values_check.shape == points_check.shape, (
    f"exprel of an array of {points_check.size} floats should give {points_check.size} values, got shape "
    f"{values_check.shape}")
for x, value, slope in zip(points_check, values_check, slopes_check):
    want_value, want_slope = exprel_and_derivative(x)
    assert np.isclose(value, want_value, rtol=1e-9, atol=0), f"exprel({x}) should be {want_value!r}, got {value!r}"
    assert not np.isnan(slope), (
        f"jax.grad(exprel)({x}) is nan: the branch of jnp.where that is not selected at x = {x} is still "
        "differentiated there; make its input safe with a second jnp.where")
    assert not (x == 0 and slope == 0), (
        "jax.grad(exprel)(0) is 0, but exprel'(0) = 1/2: a branch that returns a constant at x = 0 has "
        "derivative 0; use a Taylor polynomial near 0")
    assert np.isclose(slope, want_slope, rtol=1e-9, atol=0), (
        f"jax.grad(exprel)({x}) should be {want_slope!r}, got {slope!r} (relative error "
        f"{abs(slope - want_slope) / abs(want_slope):.1e})"
        + (": near 0 the derivative of expm1(x) / x loses digits to cancellation, and a short Taylor "
           "polynomial is not accurate far from 0: use enough terms for your threshold (about 1e-3)"
           if 0 < abs(x) < 1e-1 else ""))
### BEGIN HIDDEN TESTS
from autograder.probes.ad_in_practice import probe_exprel

probe_exprel(exprel)
### END HIDDEN TESTS

# %% [markdown]
# JAX's own functions with removable singularities do the same inside: `jnp.sinc`, for
# instance, carries a custom derivative rule at $0$. Custom rules are the subject of the
# next part.
#
# ## Part 3. Derivative rules of your own
#
# ### A softplus that never overflows: `jax.custom_jvp`
#
# $\operatorname{softplus}(x) = \log(1 + e^x)$ is a smooth ReLU, and its derivative is the
# logistic sigmoid $\sigma(x) = 1/(1 + e^{-x})$. Written as it reads, it overflows: $e^x$ is
# `inf` beyond $x \approx 709.8$ in float64. The standard rewrite
# $\max(x, 0) + \log(1 + e^{-|x|})$ only ever exponentiates a negative number, so its value
# is fine everywhere. Look at its derivative by AD, though:

# %% readonly="softplus_forms"
def softplus_naive(x):
    return jnp.log(1 + jnp.exp(x))


def softplus_rewritten(x):
    return jnp.maximum(x, 0.0) + jnp.log1p(jnp.exp(-jnp.abs(x)))


def sigmoid_np(x):
    """sigma(x) in NumPy without overflow, the derivative of softplus."""
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def slope_of(f):
    """x -> f'(x) elementwise for an array x, by jax.grad, compiled once."""
    return jax.jit(jax.vmap(jax.grad(f)))


# %% tags=["demo"]
points = jnp.array([-800.0, -40.0, 0.0, 1.5, 40.0, 800.0])
rows = ["| x | naive value | rewritten value | naive AD slope | rewritten AD slope | sigma(x) |", "|--:|--:|--:|--:|--:|--:|"]
for x, v1, v2, d1, d2, s in zip(points, softplus_naive(points), softplus_rewritten(points),
                                slope_of(softplus_naive)(points), slope_of(softplus_rewritten)(points),
                                sigmoid_np(points)):
    rows.append(f"| {float(x):g} | {float(v1):.6g} | {float(v2):.6g} | {float(d1):.6g} | {float(d2):.6g} | {float(s):.6g} |")
display(Markdown("\n".join(rows)))

# %% [markdown]
# The naive form gives `inf` and a `nan` slope at $x = 800$, and at $x = -40$ the value $0$
# ($1 + 4\times10^{-18}$ rounds to $1$), where the rewrite keeps all its digits. The rewrite has the right value
# everywhere and the right slope everywhere *except at $x = 0$*, where it returns $0$
# instead of $\sigma(0) = \tfrac12$: the kink conventions of Part 1 (JAX's slope
# $\tfrac12$ for `maximum` at the tie and $1$ for `abs`, giving $\tfrac12 - \tfrac12$).
# The function is smooth; its program is not.
#
# The cure is to tell JAX the derivative instead of letting it differentiate the program.
# `jax.custom_jvp` attaches a **JVP rule**: given the inputs and their tangents, return
# the output and its tangent. JAX uses the rule in forward mode, and derives reverse mode
# from it by transposition (Part 7), so one rule serves `jvp`, `grad`, `jacrev` and
# `hessian`.

# %%
@jax.custom_jvp
def softplus(x):
    return jnp.maximum(x, 0.0) + jnp.log1p(jnp.exp(-jnp.abs(x)))


@softplus.defjvp
def softplus_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return softplus(x), jax.nn.sigmoid(x) * dx  # softplus' = sigmoid, computed without overflow


# %% tags=["demo"]
softplus_slope = slope_of(softplus)
slopes = softplus_slope(points)
print("jax.grad(softplus):", slopes)
assert np.allclose(slopes, sigmoid_np(points), rtol=1e-14, atol=0), "the rule should give sigma(x)"
moderate = jnp.array([-3.0, -0.4, 0.0, 0.9, 5.0, 7.0])
assert np.allclose(softplus_slope(moderate), central_difference(jax.jit(softplus), moderate), rtol=1e-8)
curvature = jax.grad(jax.grad(softplus))(0.0)  # the rule is itself differentiable: sigma' = sigma (1 - sigma)
print("second derivative at 0:", curvature, "(sigma(0)(1 - sigma(0)) = 0.25)")
assert np.isclose(curvature, 0.25)

# %% [markdown]
# Over a wide range, on a symmetric logarithmic scale (linear near 0), the naive form stops
# where $e^x$ overflows; the one with the rule does not:

# %% tags=["demo"]
xs_wide = jnp.linspace(-900.0, 900.0, 3601)
with np.errstate(invalid="ignore"):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    ax1.plot(xs_wide, softplus(xs_wide), lw=3, alpha=0.5, label="custom_jvp softplus")
    ax1.plot(xs_wide, softplus_naive(xs_wide), "k--", lw=1, label="log(1 + exp(x))")
    ax1.set(xscale="symlog", yscale="symlog", xlabel="x", ylabel="value", title="values (inf is not drawn)")
    ax2.plot(xs_wide, slope_of(softplus)(xs_wide), lw=3, alpha=0.5, label="rule: sigma(x)")
    ax2.plot(xs_wide, slope_of(softplus_naive)(xs_wide), "k--", lw=1, label="AD of log(1 + exp(x))")
    ax2.set(xscale="symlog", xlabel="x", ylabel="slope", title="slopes (nan is not drawn)")
    for ax in (ax1, ax2):
        ax.axvline(np.log(np.finfo(float).max), color="tab:red", lw=0.8, ls=":")
        ax.legend(fontsize=8)
    plt.tight_layout()
    plt.show()

# %% [markdown]
# ### Gradient clipping: `jax.custom_vjp`
#
# Sometimes the rule you want is not a derivative at all. **Gradient clipping** leaves the
# value alone and limits the size of the cotangent coming back in reverse mode, a common
# guard against exploding gradients. There is no JVP that does this, so we write the
# reverse-mode rule directly with `jax.custom_vjp`: a *forward* function that returns the
# output and whatever the backward pass needs (the *residuals*), and a *backward* function
# that maps the output's cotangent to the inputs' cotangents. `nondiff_argnums` marks
# arguments that are not differentiated (the bound); they come first in the backward
# function.

# %%
@partial(jax.custom_vjp, nondiff_argnums=(1,))
def clip_gradient(x, bound):
    """x itself; in reverse mode the cotangent reaching x is clipped to [-bound, bound]."""
    return x


def clip_gradient_fwd(x, bound):
    return x, None  # nothing to remember


def clip_gradient_bwd(bound, residuals, cotangent):
    return (jnp.clip(cotangent, -bound, bound),)


clip_gradient.defvjp(clip_gradient_fwd, clip_gradient_bwd)

# %% [markdown]
# Gradient descent on $f(x) = x^4/4$ from $x = 8$: the slope $x^3 = 512$ throws the first
# step far past the minimum, and every step after that is worse. With the slope clipped to
# $\pm 10$, each step moves at most $1$ until the slope is small, and then descent proceeds
# as usual.

# %% tags=["demo"]
quartic = lambda x: x ** 4 / 4
plain_slope = jax.grad(quartic)
clipped_slope = jax.grad(lambda x: quartic(clip_gradient(x, 10.0)))
for x in [8.0, 1.5, -0.7]:
    assert np.isclose(clipped_slope(x), np.clip(x ** 3, -10, 10)), "clipped slope should be clip(f'(x), -10, 10)"
paths = {}
for label, slope in [("plain", plain_slope), ("clipped to +-10", clipped_slope)]:
    x, path = 8.0, [8.0]
    for _ in range(25):
        x = float(x - 0.1 * slope(x))
        path.append(x)
        if not np.isfinite(x) or abs(x) > 1e30:
            break
    paths[label] = path
    print(f"{label:16s} {' '.join(f'{p:.3g}' for p in path[:7])} ...")

fig, ax = plt.subplots(figsize=(6, 3.4))
for label, path in paths.items():
    ax.semilogy(np.abs(path), "o-", ms=3, label=label)
ax.set(xlabel="step", ylabel="|x|", title="Descent on x^4 / 4 from x = 8, learning rate 0.1", ylim=(1e-2, 1e30))
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# A `custom_vjp` function has a reverse-mode rule only: `jax.jvp` of it raises, which is
# why notebook 6 used one to test a Jacobian built from VJPs. A `custom_jvp` rule gives
# both modes, so prefer it whenever the rule is a derivative.
#
# ### Exercise `stable_log_sigmoid`
#
# The logistic loss of notebook 5 is built from $\log\sigma(z)$ and
# $\log(1 - \sigma(z)) = \log\sigma(-z)$. Written as `jnp.log(1 / (1 + jnp.exp(-z)))`,
# $\log\sigma$ returns `-inf` for $z = -1000$ (the exact value is $-1000$), and $0$ for
# $z = 40$ (the exact value is $-4.25\times10^{-18}$, which matters for
# relative accuracy).
#
# Write `stable_log_sigmoid(x)` $= \log\sigma(x) = -\log(1 + e^{-x})$ with a
# `jax.custom_jvp` rule, `stable_log_sigmoid_jvp`, whose tangent is
# $\frac{d}{dx}\log\sigma(x)\cdot\dot x = \sigma(-x)\,\dot x$. Both must be accurate to a
# relative error of $10^{-12}$ for **every** float input, $\pm 1000$ and $0$ included, and
# work elementwise on arrays. The hidden tests call the function, `jax.grad` of it, and your
# rule directly (as `stable_log_sigmoid_jvp((x,), (dx,))`), at extreme and ordinary points.
#
# Hints: $\log\sigma(x) = \min(x, 0) - \log(1 + e^{-|x|})$, and `jnp.log1p`; for the
# tangent, `jax.nn.sigmoid` is stable, or write $\sigma(-x)$ with the same
# $e^{-|x|}$ trick.

# %% answer="stable_log_sigmoid"
@jax.custom_jvp
def stable_log_sigmoid(x):
    """log(sigmoid(x)) = -log(1 + exp(-x)), accurate for every float x."""
    ### BEGIN SOLUTION
    return jnp.minimum(x, 0.0) - jnp.log1p(jnp.exp(-jnp.abs(x)))
    ### END SOLUTION


@stable_log_sigmoid.defjvp
def stable_log_sigmoid_jvp(primals, tangents):
    """(log sigmoid(x), sigmoid(-x) * dx) for primals = (x,), tangents = (dx,)."""
    ### BEGIN SOLUTION
    (x,), (dx,) = primals, tangents
    return stable_log_sigmoid(x), jax.nn.sigmoid(-x) * dx
    ### END SOLUTION


# %% test="test_stable_log_sigmoid"
def log_sigmoid_np(x):
    """log sigma(x) and sigma(-x), in NumPy without overflow or cancellation."""
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))), sigmoid_np(-x)


points_check = jnp.array([-1000.0, -40.0, -1.0, 0.0, 2.0, 40.0, 1000.0])
values_check = np.asarray(jax.jit(stable_log_sigmoid)(points_check))
rule_values, rule_tangents = (np.asarray(o) for o in stable_log_sigmoid_jvp((points_check,), (3.0 * jnp.ones(7),)))
slopes_check = np.asarray(jax.jit(jax.vmap(jax.grad(stable_log_sigmoid)))(points_check))
assert values_check.shape == (7,), f"an array of 7 inputs should give 7 values, got shape {values_check.shape}"
for x, value, primal_out, tangent_out, slope in zip(np.asarray(points_check), values_check, rule_values,
                                                    rule_tangents, slopes_check):
    want_value, want_slope = log_sigmoid_np(x)
    assert np.isfinite(value), (
        f"stable_log_sigmoid({x}) is {value}: exp of a large number overflows; exponentiate only -|x|")
    assert np.isclose(value, want_value, rtol=1e-12, atol=1e-300), (
        f"stable_log_sigmoid({x}) should be {want_value!r}, got {value!r}"
        + (": log(1 + tiny) rounds to 0, use jnp.log1p" if value == 0.0 else ""))
    assert np.isclose(float(primal_out), want_value, rtol=1e-12, atol=1e-300), (
        f"the rule's first output at x = {x} should be the value {want_value!r}, got {float(primal_out)!r}")
    assert np.isclose(float(tangent_out), 3.0 * want_slope, rtol=1e-12, atol=1e-300), (
        f"stable_log_sigmoid_jvp(({x},), (3.0,)) should give the tangent sigma(-x) * 3 = {3.0 * want_slope!r}, "
        f"got {float(tangent_out)!r}")
    assert np.isclose(slope, want_slope, rtol=1e-12, atol=1e-300), (
        f"jax.grad(stable_log_sigmoid)({x}) should be {want_slope!r}, got {slope!r}: is the rule attached "
        "with @stable_log_sigmoid.defjvp?")
### BEGIN HIDDEN TESTS
from autograder.probes.ad_in_practice import probe_stable_log_sigmoid

probe_stable_log_sigmoid(stable_log_sigmoid, stable_log_sigmoid_jvp)
### END HIDDEN TESTS

# %% [markdown]
# With it, the logistic loss of notebook 5 survives large logits. Notebook 5's loss was
# $-\sum_i y_i\log p_i + (1 - y_i)\log(1 - p_i)$ with $p_i = \sigma(z_i)$; here it is scaled
# up until the model is very confident, and wrong on one example:

# %% tags=["demo"]
inputs = jnp.array([[0.52, 1.12, 0.77], [0.88, -1.08, 0.15], [0.52, 0.06, -1.30], [0.74, -2.49, 1.39]])
targets = jnp.array([1.0, 1.0, 0.0, 1.0])  # the toy data of notebook 5


def nll_notebook5(W, b):
    p = jax.nn.sigmoid(inputs @ W + b)
    return -jnp.sum(targets * jnp.log(p) + (1 - targets) * jnp.log(1 - p))


def nll_stable(W, b):
    z = inputs @ W + b
    return -jnp.sum(targets * stable_log_sigmoid(z) + (1 - targets) * stable_log_sigmoid(-z))


W_demo, b_demo = jnp.array([0.3, -0.2, 0.5]), 0.1  # these weights classify all four examples right
both = {name: jax.jit(jax.value_and_grad(fn)) for name, fn in [("notebook 5", nll_notebook5), ("stable", nll_stable)]}
for label, scale in [("as they are", 1.0), ("x 1000: confident and right", 1000.0),
                     ("x -1000: confident and wrong", -1000.0)]:
    print(f"weights {label}:")
    for name, value_and_grad in both.items():
        value, g_W = value_and_grad(scale * W_demo, scale * b_demo)
        print(f"    {name:10s} loss {float(value):10.4g}, dL/dW {np.asarray(g_W)}")
        if name == "stable":
            assert np.isfinite(value) and np.all(np.isfinite(g_W))
assert np.isclose(both["stable"](W_demo, b_demo)[0], both["notebook 5"](W_demo, b_demo)[0], rtol=1e-12)
value, g_W = both["stable"](-1000 * W_demo, -1000 * b_demo)
assert np.allclose(g_W, -inputs.T @ (2 * targets - 1), rtol=1e-9), "confidently wrong: dL/dW = -sum (2y - 1) x"

# %% [markdown]
# At scale 1 the two agree. Confident and right, every $p_i$ rounds to exactly 0 or 1, and
# notebook 5's loss is `nan` although nothing is wrong: for a label $y_i = 1$ the unused
# term $(1 - y_i)\log(1 - p_i)$ is $0 \cdot \log 0 = 0\cdot(-\infty)$, the trap of Part 2 in
# arithmetic form. Confident and wrong, its loss is `inf` or `nan`. The stable loss gives
# a tiny loss in the first case, and in the second the large penalty, about 1000 times the
# margins, with the gradient of a linear function, $-\sum_i (2y_i - 1)\,x_i$.
# (`jax.nn.log_sigmoid` and `optax.sigmoid_binary_cross_entropy` are the library versions.)
#
# ## Part 4. Implicit differentiation
#
# ### The loop that reverse mode cannot go through
#
# Notebook 6 ran the map $y \leftarrow \tanh(y/2) + x$ five times in a `lax.while_loop`
# and found that reverse mode cannot differentiate it. Run to convergence, the loop finds
# the **fixed point** $y^\star(x)$ with
#
# $$y^\star = \tanh(y^\star/2) + x .$$
#
# The map is a contraction (its slope $\tfrac12(1 - \tanh^2)$ is at most $\tfrac12$), so
# the iteration converges from any start. The helper `iterate` runs any map to
# convergence in a `while_loop`, which is what a solver does: it stops when the answer has
# stopped moving, so the number of steps is not known in advance.

# %% readonly="solver"
def iterate(g, y0, tol=1e-15, max_steps=100_000):
    """Iterate y <- g(y) from y0 until no entry moves by more than tol * (1 + |y|): a lax.while_loop."""
    y0 = jnp.asarray(y0, dtype=jnp.float64)

    def keep_going(carry):
        step, _, change = carry
        return (change > tol) & (step < max_steps)

    def one_step(carry):
        step, y, _ = carry
        new = g(y)
        return step + 1, new, jnp.max(jnp.abs(new - y) / (1 + jnp.abs(new)))

    return jax.lax.while_loop(keep_going, one_step, (0, y0, jnp.asarray(jnp.inf)))[1]


def settle_map(y, x):
    """The map of notebook 6's settle: y -> tanh(y / 2) + x."""
    return jnp.tanh(y / 2) + x


def settle(x):
    """The fixed point y = tanh(y / 2) + x, iterated to convergence from y = x."""
    return iterate(lambda y: settle_map(y, x), x)


# %% tags=["demo"]
x_s = jnp.array([0.2, -0.4, 0.9])
y_s = settle(x_s)
print("fixed point:", y_s, "  residual y - f(y):", y_s - settle_map(y_s, x_s))
assert np.allclose(y_s, settle_map(y_s, x_s), rtol=0, atol=1e-12)
_, forward = jax.jvp(settle, (x_s,), (jnp.ones(3),))
print("forward mode through the loop (dy/dx, elementwise):", forward)
try:
    jax.grad(lambda x: jnp.sum(settle(x)))(x_s)
except ValueError as err:
    print("reverse mode:", str(err).split(". ")[0])

# %% [markdown]
# Forward mode works: it carries tangents through every iteration. Reverse mode would have
# to store every iteration and replay them backwards, and a `while_loop` has no length to
# store them by.
#
# ### Option 1: unroll a fixed number of steps
#
# A loop with a known count, `lax.fori_loop(0, K, ...)` or `lax.scan`, can be reversed.
# But reverse mode then stores all $K$ iterations (memory grows with $K$), and the
# derivative it returns is that of the $K$-th iterate, which is only as accurate as the
# iterate itself. The derivative of the fixed point of our scalar map is known in closed
# form (from the formula derived below):
#
# $$\frac{dy^\star}{dx} = \frac{1}{1 - \tfrac12\big(1 - \tanh^2(y^\star/2)\big)}.$$

# %% readonly="unrolling"
def settle_unrolled(x, steps):
    return jax.lax.fori_loop(0, steps, lambda i, y: settle_map(y, x), x)


def residual_bytes(f, *args):
    """Bytes of the residuals jax.vjp keeps for the backward pass. Found by tracing, nothing runs."""
    pullback = jax.eval_shape(lambda *a: jax.vjp(f, *a)[1], *args)
    return sum(math.prod(leaf.shape) * leaf.dtype.itemsize for leaf in jax.tree_util.tree_leaves(pullback))


# %% tags=["demo"]
exact_slope = 1 / (1 - 0.5 * (1 - jnp.tanh(y_s / 2) ** 2))
assert np.allclose(forward, exact_slope, rtol=1e-12), "forward mode and the closed form should agree"
K = np.arange(1, 61)
unrolled_slopes = np.array([np.asarray(jax.grad(lambda x: jnp.sum(settle_unrolled(x, k)))(x_s)) for k in (5, 60)])
# every K at once: forward mode through a scan that outputs each iterate's slope
def slopes_per_step(x):
    step = lambda y, _: (settle_map(y, x), settle_map(y, x))
    return jax.lax.scan(step, x, None, length=len(K))[1]
_, slope_curve = jax.jvp(slopes_per_step, (x_s,), (jnp.ones(3),))
assert np.allclose(unrolled_slopes, np.asarray(slope_curve)[[4, 59]], rtol=1e-12), "reverse and forward unrolling agree"
errors = np.max(np.abs(np.asarray(slope_curve) - np.asarray(exact_slope)) / np.asarray(exact_slope), axis=1)
memory = [residual_bytes(lambda x: settle_unrolled(x, int(k)), x_s) for k in (10, 20, 40)]

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
ax1.semilogy(K, np.maximum(errors, 1e-17), "o-", ms=3)
ax1.set(xlabel="K, steps unrolled", ylabel="relative error of dy/dx", title="Unrolled derivative against the exact one")
ax2.plot([10, 20, 40], np.array(memory) / 1e3, "s-")
ax2.set(xlabel="K, steps unrolled", ylabel="residuals kept (kB)", title="Reverse mode stores every step", ylim=(0, None))
plt.tight_layout()
plt.show()

# %% [markdown]
# The derivative of the unrolled loop converges at the same rate as the loop itself
# (here it gains about a digit every three steps), and reverse mode keeps a few numbers per
# entry per step. For a solver that takes thousands of steps, or one you do not control,
# there is a better way.
#
# ### Option 2: the implicit function theorem
#
# At the fixed point, $y^\star = f(y^\star, a)$ holds for every parameter value $a$. Differentiate
# both sides with respect to $a$ (chain rule on the right):
#
# $$\frac{dy^\star}{da} = \frac{\partial f}{\partial y}\,\frac{dy^\star}{da} + \frac{\partial f}{\partial a}
# \quad\Longrightarrow\quad
# \frac{dy^\star}{da} = \Big(I - \frac{\partial f}{\partial y}\Big)^{-1}\frac{\partial f}{\partial a},$$
#
# with both partial derivatives taken at $(y^\star, a)$. Only the end point appears: how the
# solver got there, and in how many steps, does not matter. For reverse mode we need the
# vector-Jacobian product with a cotangent $\bar y$:
#
# $$\bar a = \bar y^\top \frac{dy^\star}{da} = w^\top \frac{\partial f}{\partial a}, \qquad
# \text{where } w^\top = \bar y^\top\Big(I - \frac{\partial f}{\partial y}\Big)^{-1},
# \text{ that is, } w = \bar y + \Big(\frac{\partial f}{\partial y}\Big)^{\top} w .$$
#
# The last equation is again a fixed-point problem, linear this time, and it converges for
# the same reason the forward iteration does. Every product $v^\top\,\partial f/\partial y$
# and $w^\top\,\partial f/\partial a$ is one `jax.vjp` of $f$ at the fixed point. So the
# backward pass is: pull back through $f$ repeatedly until $w$ settles, then once more for
# $\bar a$. It stores nothing per iteration: the residuals are $y^\star$ and $a$.

# %% [markdown]
# ### Exercise `fixed_point`
#
# Complete `fixed_point(f, a, y0)`: the $y$ with $y = f(y, a)$, found by iterating from
# `y0`, with a `jax.custom_vjp` rule from the implicit function theorem. `f(y, a)` is a
# contraction in `y` written with `jax.numpy`; `a` is a 1-d array of parameters and `y0` a
# 1-d array of floats whose length may differ from `a`'s. `f` is not differentiated as an
# argument (`nondiff_argnums=(0,)`), so it comes first in the backward function.
#
# - `fixed_point`: iterate with `iterate` (above).
# - `fixed_point_fwd(f, a, y0)`: return the fixed point and the residuals you need, `(a, y_star)`.
# - `fixed_point_bwd(f, residuals, y_bar)`: return the tuple `(a_bar, y0_bar)`. Find $w$ by
#   iterating $w \leftarrow \bar y + (\partial f/\partial y)^\top w$, where
#   $(\partial f/\partial y)^\top w$ is the pullback of `jax.vjp(lambda y: f(y, a), y_star)`
#   applied to $w$; then $\bar a$ is the pullback of `jax.vjp(lambda a: f(y_star, a), a)`
#   applied to $w$. The fixed point does not depend on where the iteration starts, so
#   `y0_bar` is zeros.
#
# JAX must not differentiate through the iterations: every loop, and every call of `f`,
# belongs inside your `custom_vjp` rule. The grader traces `fixed_point` with
# `jax.make_jaxpr` and finds any loop or evaluation of `f` outside the rule (an unrolled
# `lax.fori_loop`, `lax.scan` or Python loop) that JAX would differentiate. It compares
# values and gradients with the implicit function theorem, the gradients to 12 digits (so a
# finite difference will not do), on maps that need hundreds of iterations.

# %% answer="fixed_point"
@partial(jax.custom_vjp, nondiff_argnums=(0,))
def fixed_point(f, a, y0):
    """The y with y = f(y, a), by iteration from y0."""
    ### BEGIN SOLUTION
    return iterate(lambda y: f(y, a), y0)
    ### END SOLUTION


def fixed_point_fwd(f, a, y0):
    """(the fixed point, the residuals the backward pass needs)."""
    ### BEGIN SOLUTION
    y_star = fixed_point(f, a, y0)
    return y_star, (a, y_star)
    ### END SOLUTION


def fixed_point_bwd(f, residuals, y_bar):
    """(a_bar, y0_bar) by the implicit function theorem."""
    ### BEGIN SOLUTION
    a, y_star = residuals
    _, pull_y = jax.vjp(lambda y: f(y, a), y_star)
    w = iterate(lambda w: y_bar + pull_y(w)[0], y_bar)
    _, pull_a = jax.vjp(lambda a: f(y_star, a), a)
    return pull_a(w)[0], jnp.zeros_like(y_star)
    ### END SOLUTION


fixed_point.defvjp(fixed_point_fwd, fixed_point_bwd)


# %% test="test_fixed_point"
def layer(y, a):
    """A contraction of y in R^3 with parameters a in R^2: tanh(W y + B a)."""
    W = jnp.array([[0.5, -0.3, 0.1], [0.2, 0.4, -0.2], [-0.1, 0.3, 0.45]])
    B = jnp.array([[1.0, 0.0], [0.5, -1.0], [0.0, 2.0]])
    return jnp.tanh(W @ y + B @ a)


a_check, weights = jnp.array([0.3, -0.6]), jnp.array([1.0, -2.0, 0.5])
loss_fp = lambda a: weights @ fixed_point(layer, a, jnp.zeros(3))
try:  # the fixed point and the gradient, compiled together
    y_check, got = (np.asarray(v) for v in jax.jit(lambda a: (fixed_point(layer, a, jnp.zeros(3)),
                                                             jax.grad(loss_fp)(a)))(a_check))
except ValueError as err:
    raise AssertionError(f"jax.grad through fixed_point failed ({str(err).split('. ')[0]}): define fixed_point_fwd "
                         "and fixed_point_bwd and attach them with fixed_point.defvjp") from None
assert y_check.shape == (3,), f"fixed_point(layer, a, zeros(3)) should be a vector of 3, got shape {y_check.shape}"
assert np.allclose(y_check, layer(y_check, a_check), rtol=0, atol=1e-11), (
    f"fixed_point should return y with y = f(y, a); got y = {y_check}, f(y, a) = {np.asarray(layer(y_check, a_check))}")
forward_through_loop = jax.jit(jax.jacfwd(lambda a: iterate(lambda y: layer(y, a), jnp.zeros(3))))(a_check)
want = np.asarray(weights @ forward_through_loop)  # forward mode through the loop: another way
one_step = np.asarray(jax.vjp(lambda a: layer(jnp.asarray(y_check), a), a_check)[1](weights)[0])
assert not np.allclose(got, one_step, rtol=1e-6), (
    "the gradient is that of one application of f, (df/da)^T y_bar: solve w = y_bar + (df/dy)^T w first")
assert np.allclose(got, want, rtol=1e-12, atol=1e-14), (
    f"jax.grad of weights @ fixed_point should be {want}, got {got}: iterate both loops with iterate, to convergence")
### BEGIN HIDDEN TESTS
from autograder.probes.ad_in_practice import probe_fixed_point

probe_fixed_point(fixed_point)
### END HIDDEN TESTS

# %% [markdown]
# Reverse mode now works on `settle`, with no unrolling, and agrees with forward mode
# through the loop, with the closed form and with central differences. `jax.jacrev`, which
# raised in notebook 6, builds the whole Jacobian (diagonal, since the map acts entry by
# entry). The residuals are a few vectors, whatever the number of iterations.

# %% tags=["demo"]
def settle_implicit(x):
    return fixed_point(settle_map, x, x)


J_settle = jax.jit(jax.jacrev(settle_implicit))(x_s)  # notebook 6 could not do this
reverse = np.diag(J_settle)
print("reverse mode, implicit:   ", reverse)
print("forward mode through loop:", forward)
print("closed form:              ", exact_slope)
settle_jit = jax.jit(settle)
differences = central_difference(settle_jit, x_s)  # elementwise map: one difference gives every slope
print("central differences:      ", differences)
assert np.allclose(reverse, exact_slope, rtol=1e-11) and np.allclose(reverse, forward, rtol=1e-11)
assert np.allclose(reverse, differences, rtol=1e-7)
assert np.allclose(J_settle, np.diag(exact_slope), rtol=1e-11, atol=1e-14)
print(f"residuals kept: implicit {residual_bytes(settle_implicit, x_s)} bytes; unrolled 60 steps "
      f"{residual_bytes(lambda x: settle_unrolled(x, 60), x_s)} bytes")

# %% [markdown]
# The same idea differentiates through linear solvers, optimisers (at an optimum the
# gradient is zero: differentiate that equation) and the steady states of simulations.
# JAX's `jax.lax.custom_root` packages it; the JAXopt and Optimistix libraries build on it.
# Two cautions: the derivative is that of the exact fixed point, so it is only as good as
# the convergence of the forward solve; and the backward solve needs
# $I - \partial f/\partial y$ to be invertible, which a contraction guarantees.
#
# ## Part 5. Memory: the tape, the residuals, and checkpointing
#
# Reverse mode runs the program forwards, keeps what the backward pass will need, then
# sweeps backwards. What it keeps grows with the length of the program. For an ODE solver
# that is the number of steps, which grows when you ask for more accuracy.
#
# Our test bed is the circuit of notebooks 2 to 4, with the measurements of notebook 2. The
# notebook carries its own copy of the model, so it also runs in Colab. The state is a
# tuple $(Q', Q)$ and the code uses only `+ - * /`, so the same functions step floats,
# PyTorch tensors and JAX tracers. `source` is the driving voltage $E$, a constant unless
# Part 6 says otherwise.

# %% readonly="rlc_model"
C = 2.0                              # capacitance (known)
E = 60.0                             # driving voltage (known, constant)
TIMES = np.linspace(0.0, 200.0, 200)  # the 200 observation times, t = 0 included
DT = float(TIMES[1] - TIMES[0])      # their spacing, 200/199
TRUE_R, TRUE_L = 1.0, 10.0


def rlc_rhs(state, R, L, source=E):
    """d/dt (Q', Q) for L Q'' + R Q' + Q / C = source."""
    dq, q = state
    return ((source - R * dq - q / C) / L, dq)


def rk4_step(state, dt, R, L, source=E):
    """One classic RK4 step of size dt, on the tuple state (Q', Q)."""
    shift = lambda s, h, k: tuple(si + h * ki for si, ki in zip(s, k))
    k1 = rlc_rhs(state, R, L, source)
    k2 = rlc_rhs(shift(state, dt / 2, k1), R, L, source)
    k3 = rlc_rhs(shift(state, dt / 2, k2), R, L, source)
    k4 = rlc_rhs(shift(state, dt, k3), R, L, source)
    return tuple(s + dt / 6 * (a + 2 * b + 2 * c + d) for s, a, b, c, d in zip(state, k1, k2, k3, k4))


_exact = solve_ivp(lambda t, s: rlc_rhs(s, TRUE_R, TRUE_L), (TIMES[0], TIMES[-1]), [0.0, 0.0], t_eval=TIMES,
                   method="DOP853", rtol=1e-10, atol=1e-10)
Qhat = _exact.y[1] + np.random.default_rng(2024).normal(0.0, 2.0, TIMES.size)  # the data of notebook 2


def charges_fine(R, L, substeps):
    """Q at the 200 TIMES, taking `substeps` RK4 steps of DT / substeps per interval (lax.scan)."""
    dt = DT / substeps

    def interval(state, _):
        state = jax.lax.fori_loop(0, substeps, lambda i, s: rk4_step(s, dt, R, L), state)
        return state, state[1]

    zero = jnp.zeros((), dtype=jnp.float64)
    _, qs = jax.lax.scan(interval, (zero, zero), None, length=len(TIMES) - 1)
    return jnp.concatenate([jnp.zeros(1), qs])


# %% [markdown]
# ### PyTorch's tape
#
# PyTorch records every operation on a tensor that requires a gradient, and saves the
# tensors each operation's backward rule needs (for `a * b`, both `a` and `b`).
# `torch.autograd.graph.saved_tensors_hooks` lets us see every tensor as it is saved; we
# add up the bytes of the distinct ones. That is the memory the tape holds between the
# forward and the backward pass.

# %% tags=["demo"]
def torch_tape(substeps):
    """(bytes of the distinct tensors the tape saves, [d loss/dR, d loss/dL]) with PyTorch, float64."""
    saved = {}

    def pack(t):
        saved[(t.untyped_storage().data_ptr(), t.storage_offset())] = t.numel() * t.element_size()
        return t

    R = torch.tensor(1.5, requires_grad=True)
    L = torch.tensor(8.0, requires_grad=True)
    dt = DT / substeps
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        state = (torch.zeros(()), torch.zeros(()))
        qs = [state[1]]
        for _ in range(len(TIMES) - 1):
            for _ in range(substeps):
                state = rk4_step(state, dt, R, L)
            qs.append(state[1])
        loss = torch.mean((torch.stack(qs) - torch.as_tensor(Qhat)) ** 2)
    loss.backward()
    return sum(saved.values()), np.array([R.grad.item(), L.grad.item()])


def jax_loss(R, L, substeps):
    return jnp.mean((charges_fine(R, L, substeps) - Qhat) ** 2)


for s in [1, 2, 4]:
    tape, torch_grad = torch_tape(s)
    kept = residual_bytes(lambda R, L: jax_loss(R, L, s), 1.5, 8.0)
    print(f"{s} substep(s), {199 * s:4d} RK4 steps: PyTorch tape {tape / 1e3:6.1f} kB "
          f"({tape / 8 / (199 * s):.1f} numbers a step), JAX residuals {kept / 1e3:6.1f} kB "
          f"({kept / 8 / (199 * s):.1f} a step)")
jax_grad = np.array(jax.grad(jax_loss, argnums=(0, 1))(1.5, 8.0, 4))
print("gradient at 4 substeps, PyTorch:", torch_grad, " JAX:", jax_grad)
assert np.allclose(torch_grad, jax_grad, rtol=1e-10), "PyTorch and JAX gradients disagree"

# %% [markdown]
# Both grow in proportion to the number of steps, at about eight or nine numbers per RK4
# step, and the two frameworks agree on the gradient to rounding. The memory depends on
# how many steps the program takes, not on the physical time it simulates. (What we count
# is the memory held between the two passes, which is what limits long simulations; the
# backward pass itself needs a little more while it runs.)
#
# JAX can list what it keeps and which line of the program made it. For 199 steps:

# %% tags=["demo"]
from jax.ad_checkpoint import print_saved_residuals

print_saved_residuals(lambda R, L: jax_loss(R, L, 1), 1.5, 8.0)

# %% [markdown]
# A dozen scalars that depend only on $R$ and $L$ (such as $1/L$), then eight arrays with
# one number per step (`f64[199,1]`): intermediate values of each step that the backward
# pass multiplies by.

# %% [markdown]
# ### Checkpointing: trade memory for recomputation
#
# `jax.checkpoint(f)` (also called *rematerialisation*) returns a function with the same
# value and derivative as `f`, whose reverse mode keeps only **its inputs**, and runs `f`
# again during the backward pass to recover everything else. Where to put it decides the
# trade:
#
# - **no checkpoint**: every intermediate of every step is kept;
# - **checkpoint each step**: keep only the state $(Q', Q)$ before each step, and recompute
#   the step's intermediates when the backward pass reaches it;
# - **checkpoint each interval** (between two observation times, `substeps` steps): keep
#   only the state at the 200 observation times. During the backward pass each interval is
#   run again, and *its* steps are kept, for one interval at a time.
#
# The last one is the classic two-level scheme. With $N$ steps cut into segments of $k$,
# the memory is about $N/k$ saved states plus $k$ steps of intermediates, smallest near
# $k = \sqrt N$; the price is one extra forward pass.

# %% [markdown]
# ### Exercise `checkpointed_charges`
#
# Write `checkpointed_charges(R, L, substeps)`: $Q$ at all 200 `TIMES` (with $Q(0) = 0$
# first), taking `substeps` RK4 steps of size `DT / substeps` between two observation
# times, like `charges_fine` above, but **checkpointed per interval**: an outer `lax.scan`
# over the 199 intervals whose body advances the state by one interval with a function
# wrapped in `jax.checkpoint` (inside it, `lax.fori_loop` or `lax.scan` over the substeps).
# `substeps` is a Python int.
#
# The hidden tests check $Q$ and its gradient against a reference, and measure the
# residuals `jax.vjp` keeps at two numbers of substeps: they must be no more than 8 numbers
# per observation time, and must not grow with `substeps`. Use `lax.scan` for the outer
# loop: a Python loop over the 199 intervals unrolls into 199 checkpointed copies and takes
# minutes to compile (notebook 4 showed why), longer than the grader waits for a test.

# %% answer="checkpointed_charges"
def checkpointed_charges(R, L, substeps):
    """Q at the 200 TIMES; reverse mode keeps one state per interval and recomputes the substeps."""
    ### BEGIN SOLUTION
    dt = DT / substeps

    @jax.checkpoint
    def advance(state):
        return jax.lax.fori_loop(0, substeps, lambda i, s: rk4_step(s, dt, R, L), state)

    def interval(state, _):
        state = advance(state)
        return state, state[1]

    zero = jnp.zeros((), dtype=jnp.float64)
    _, qs = jax.lax.scan(interval, (zero, zero), None, length=len(TIMES) - 1)
    return jnp.concatenate([jnp.zeros(1), qs])
    ### END SOLUTION


# %% test="test_checkpointed_charges"
simulate_check = jax.jit(lambda R, L: jnp.asarray(checkpointed_charges(R, L, 3)))
Q_check = np.asarray(simulate_check(1.5, 8.0))
Q_want = np.asarray(jax.jit(charges_fine, static_argnums=2)(1.5, 8.0, 3))
assert Q_check.shape == (200,), f"checkpointed_charges should give the 200 charges Q(t_0), ..., Q(t_199), got shape {Q_check.shape}"
assert Q_check[0] == 0.0, f"the first value is the initial charge Q(0) = 0, got {Q_check[0]}"
assert np.allclose(Q_check, Q_want, rtol=1e-12, atol=1e-12), (
    "checkpointed_charges(1.5, 8, 3) should equal charges_fine(1.5, 8, 3); the largest difference is "
    f"{np.max(np.abs(Q_check - Q_want)):.3g}: 3 steps of DT / 3 per interval")
g_check = np.array(jax.jit(jax.grad(lambda R, L: jnp.sum(checkpointed_charges(R, L, 3) ** 2), argnums=(0, 1)))(1.5, 8.0))
g_fd = np.array([central_difference(lambda R: np.sum(np.asarray(simulate_check(R, 8.0)) ** 2), 1.5),
                 central_difference(lambda L: np.sum(np.asarray(simulate_check(1.5, L)) ** 2), 8.0)])
assert np.allclose(g_check, g_fd, rtol=1e-6), (
    f"the gradient through checkpointed_charges should be about {g_fd} (central differences), got {g_check}")
kept = {s: residual_bytes(lambda R, L: checkpointed_charges(R, L, s), 1.5, 8.0) for s in (2, 8)}
assert kept[8] <= kept[2], (
    f"the residuals grow with substeps ({kept[2]} bytes for 2, {kept[8]} for 8): wrap the whole interval, "
    "not each step, in jax.checkpoint")
assert kept[2] <= 8 * 8 * len(TIMES), f"{kept[2]} bytes of residuals is more than 8 numbers per observation time"
### BEGIN HIDDEN TESTS
from autograder.probes.ad_in_practice import probe_checkpointed_charges

probe_checkpointed_charges(checkpointed_charges)
### END HIDDEN TESTS

# %% [markdown]
# ### Memory against time
#
# Now the three strategies on a long simulation, 32 substeps ($199 \times 32 = 6368$ RK4
# steps). For each we measure what `jax.vjp` keeps, what the backward pass holds while it
# recomputes one checkpointed segment (the residuals of one segment, again from
# `jax.vjp`), and the run time of the compiled gradient (the fastest of several runs).

# %% tags=["demo"]
LONG = 32


def per_step_checkpoint(R, L, substeps):
    dt = DT / substeps
    step = jax.checkpoint(lambda s: rk4_step(s, dt, R, L))

    def interval(state, _):
        state = jax.lax.fori_loop(0, substeps, lambda i, s: step(s), state)
        return state, state[1]

    zero = jnp.zeros((), dtype=jnp.float64)
    return jnp.concatenate([jnp.zeros(1), jax.lax.scan(interval, (zero, zero), None, length=len(TIMES) - 1)[1]])


strategies = {"no checkpoint": charges_fine, "checkpoint each step": per_step_checkpoint,
              "checkpoint each interval": checkpointed_charges}


def one_segment(steps):
    """(dQ, Q, R, L) -> Q after `steps` RK4 steps of DT / LONG: what the backward pass recomputes."""
    return lambda dq, q, R, L: jax.lax.fori_loop(0, steps, lambda i, s: rk4_step(s, DT / LONG, R, L), (dq, q))[1]


transient = {"no checkpoint": 0, "checkpoint each step": residual_bytes(one_segment(1), 0.5, 1.0, 1.5, 8.0),
             "checkpoint each interval": residual_bytes(one_segment(LONG), 0.5, 1.0, 1.5, 8.0)}
measured = {}
for name, charges_fn in strategies.items():
    loss_fn = lambda R, L, fn=charges_fn: jnp.mean((fn(R, L, LONG) - Qhat) ** 2)
    gradient = jax.jit(jax.grad(loss_fn, argnums=(0, 1)))
    g = np.array(gradient(1.5, 8.0))  # compiles
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        jax.block_until_ready(gradient(1.5, 8.0))
        runs.append(time.perf_counter() - t0)
    measured[name] = (residual_bytes(loss_fn, 1.5, 8.0), transient[name], min(runs), g)
reference_grad = measured["no checkpoint"][3]
rows = ["| strategy | kept by jax.vjp | + one segment recomputed | gradient run time |", "|:--|--:|--:|--:|"]
for name, (kept_bytes, extra, seconds, g) in measured.items():
    assert np.allclose(g, reference_grad, rtol=1e-12), f"{name} changes the gradient"
    rows.append(f"| {name} | {kept_bytes / 1e3:.1f} kB | {extra / 1e3:.1f} kB | {seconds * 1e3:.2f} ms |")
display(Markdown("\n".join(rows)))

fig, ax = plt.subplots(figsize=(6, 3.8))
for name, (kept_bytes, extra, seconds, _) in measured.items():
    ax.plot(seconds * 1e3, (kept_bytes + extra) / 1e3, "o", ms=9, label=name)
ax.set(xlabel="gradient run time (ms)", ylabel="memory held (kB)", yscale="log",
       title=f"Reverse mode through {199 * LONG} RK4 steps")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# All three give the same gradient to the last digits. Checkpointing each step keeps about
# a quarter of the memory; checkpointing each interval keeps one state per observation
# time, nearly a hundred times less, and the backward pass adds one interval's worth while
# it recomputes. The price is arithmetic, at most one more forward pass; here the run times
# stay within a small factor of each other (and are noisy on a shared machine), because
# recomputing a step costs about as much as reading its saved values back. For a model
# too large for memory, that trade is the difference between training and not.
#
# With $N$ steps in segments of $k$, memory is about $N/k$ saved states plus $k$ steps of
# intermediates. Move the slider to choose $k$ for $N = 6368$; the cost of a saved state and
# of a step's intermediates are measured in the first two rows of the table above.

# %% tags=["demo"]
N_STEPS = 199 * LONG
state_bytes = measured["checkpoint each step"][0] / N_STEPS  # what checkpointing keeps per segment
step_bytes = measured["no checkpoint"][0] / N_STEPS


def show_segments(log2_k):
    k = 2 ** log2_k
    ks = 2.0 ** np.arange(0, 13)
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ax.loglog(ks, (N_STEPS / ks * state_bytes + ks * step_bytes) / 1e3, "k-", label="states kept + one segment")
    ax.loglog(ks, N_STEPS / ks * state_bytes / 1e3, ":", label="states kept, N / k")
    ax.loglog(ks, ks * step_bytes / 1e3, ":", label="one segment recomputed, k steps")
    ax.plot(k, (N_STEPS / k * state_bytes + k * step_bytes) / 1e3, "o", color="tab:red", ms=9)
    ax.axvline(np.sqrt(N_STEPS * state_bytes / step_bytes), color="gray", lw=0.8)
    ax.set(xlabel="segment length k (steps)", ylabel="memory (kB)",
           title=f"k = {k}: {(N_STEPS / k * state_bytes + k * step_bytes) / 1e3:.1f} kB")
    ax.legend(fontsize=8)
    plt.show()


segment_slider = widgets.IntSlider(value=5, min=0, max=12, description="log2 k")
display(widgets.VBox([segment_slider, widgets.interactive_output(show_segments, {"log2_k": segment_slider})]))

# %% [markdown]
# The grey line marks the best $k = \sqrt{N \cdot (\text{bytes per state}) / (\text{bytes per
# step})}$. Nesting checkpoints again (segments of segments) brings memory down to
# $O(\log N)$ states at $O(\log N)$ forward passes; that is the *binomial checkpointing* of
# adjoint ODE solvers. `jax.checkpoint` also takes a `policy` to keep some values (say,
# results of matrix products) and recompute the cheap rest.
#
# ## Part 6. Adjoint against forward sensitivities
#
# For an ODE $s' = g(s, p)$ with parameters $p$, there are two classic ways to get the
# gradient of a loss $\ell(s(t_0), \dots, s(t_n))$.
#
# - **Forward sensitivities** integrate the derivative $S = \partial s/\partial p$ along with the
#   state: $S' = \frac{\partial g}{\partial s} S + \frac{\partial g}{\partial p}$. One extra state per
#   parameter, so the cost grows with the number of parameters. With the *same* RK4 this is
#   exactly forward-mode AD of the solver (notebook 2's dual numbers).
# - **The adjoint method** runs once forwards, then integrates an adjoint state
#   $\lambda$ backwards in time, $\lambda' = -\big(\tfrac{\partial g}{\partial s}\big)^\top\lambda$
#   plus jumps of $\partial\ell/\partial s$ at the observation times, and collects
#   $\int \lambda^\top \frac{\partial g}{\partial p}\,dt$. One backward sweep whatever the number
#   of parameters. Applied to the RK4 steps themselves (the *discrete* adjoint) it is
#   reverse-mode AD of the solver.
#
# To see the costs part, give the circuit many parameters: let the source voltage be
# piecewise constant, one value per window of the 199 intervals, $P$ windows in all, plus
# $R$ and $L$. First the discrete adjoint written out by hand: a forward `scan` that keeps
# the states, and a backward `scan` that pulls $\lambda$ back through one step at a time
# with `jax.vjp`. It must agree with `jax.grad` and with forward mode.

# %% tags=["demo"]
def windows(P):
    """The source window of each of the 199 intervals."""
    return jnp.asarray(np.arange(len(TIMES) - 1) * P // (len(TIMES) - 1))


def charges_piecewise(params, P):
    """Q at the 200 TIMES with params = [R, L, E_1, ..., E_P]."""
    R, L, sources = params[0], params[1], params[2:][windows(P)]

    def interval(state, source):
        state = rk4_step(state, DT, R, L, source)
        return state, state[1]

    zero = jnp.zeros((), dtype=params.dtype)
    return jnp.concatenate([jnp.zeros(1), jax.lax.scan(interval, (zero, zero), sources)[1]])


def piecewise_loss(params, P):
    return jnp.mean((charges_piecewise(params, P) - Qhat) ** 2)


def adjoint_gradient(params, P):
    """The discrete adjoint: states forwards, lambda backwards through each step's vjp."""
    sources = params[2:][windows(P)]
    zero = jnp.zeros((), dtype=params.dtype)

    def forward(state, source):
        new = rk4_step(state, DT, params[0], params[1], source)
        return new, state                     # keep the state *before* each step
    last, before = jax.lax.scan(forward, (zero, zero), sources)
    q = jnp.concatenate([before[1], last[1][None]])
    dq = 2 * (q - Qhat) / len(TIMES)          # d loss / d Q(t_i)

    def backward(lam, inputs):
        state, source, dq_i = inputs
        step = lambda s, R, L, src: rk4_step(s, DT, R, L, src)
        _, pull = jax.vjp(step, state, params[0], params[1], source)
        lam_s, dR, dL, dsrc = pull(lam)
        return (lam_s[0], lam_s[1] + dq_i), (dR, dL, dsrc)
    lam_end = (zero, dq[-1])                  # only Q enters the loss
    _, (dR, dL, dsrc) = jax.lax.scan(backward, lam_end, (before, sources, dq[:-1]), reverse=True)
    dE = jnp.zeros(P).at[windows(P)].add(dsrc)
    return jnp.concatenate([jnp.stack([dR.sum(), dL.sum()]), dE])


reverse_gradient = jax.jit(jax.grad(piecewise_loss), static_argnums=1)   # compiled once per P
forward_gradient = jax.jit(jax.jacfwd(piecewise_loss), static_argnums=1)
P_demo = 14
p_demo = jnp.concatenate([jnp.array([1.5, 8.0]), jnp.full(P_demo, E)])
by_grad = reverse_gradient(p_demo, P_demo)
by_adjoint = jax.jit(adjoint_gradient, static_argnums=1)(p_demo, P_demo)
by_forward = forward_gradient(p_demo, P_demo)
e3 = jnp.zeros(P_demo + 2).at[3].set(1.0)
loss_demo = jax.jit(piecewise_loss, static_argnums=1)
by_difference = central_difference(lambda t: loss_demo(p_demo + t * e3, P_demo), 0.0)
for name, g in [("jax.grad (reverse)", by_grad), ("hand-written adjoint", by_adjoint), ("jax.jacfwd (forward)", by_forward)]:
    print(f"{name:21s} dR, dL, dE_1, dE_2: {np.asarray(g)[:4]} ... ({P_demo + 2} numbers)")
print(f"d loss / d E_2 by central difference: {by_difference:.8f}")
assert np.allclose(by_adjoint, by_grad, rtol=1e-11) and np.allclose(by_forward, by_grad, rtol=1e-11)
assert np.isclose(by_difference, by_grad[3], rtol=1e-6)

# %% [markdown]
# Now the cost as $P$ grows: the gradient by forward sensitivities (`jax.jacfwd`, which
# carries $P + 2$ tangents through the solver) and by the adjoint (`jax.grad`), each
# compiled, the fastest of several runs.

# %% tags=["demo"]
def fastest(fn, *args, repeats=5):
    jax.block_until_ready(fn(*args))  # compile
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        runs.append(time.perf_counter() - t0)
    return min(runs)


P_VALUES = [1, 14, 199]
cost = {"forward sensitivities (jacfwd)": [], "adjoint (grad)": []}
for P in P_VALUES:
    p = jnp.concatenate([jnp.array([1.5, 8.0]), jnp.full(P, E)])
    cost["forward sensitivities (jacfwd)"].append(fastest(forward_gradient, p, P))
    cost["adjoint (grad)"].append(fastest(reverse_gradient, p, P))
    assert np.allclose(forward_gradient(p, P), reverse_gradient(p, P), rtol=1e-10)

n_params = np.array(P_VALUES) + 2
fig, ax = plt.subplots(figsize=(6.5, 4))
for (name, seconds), style in zip(cost.items(), ["o-", "s-"]):
    ax.loglog(n_params, np.array(seconds) * 1e3, style, label=name)
ax.loglog(n_params, cost["forward sensitivities (jacfwd)"][0] * 1e3 * n_params / n_params[0], "k:", lw=1,
          label="proportional to the number of parameters")
ax.set(xlabel="parameters (R, L and P source values)", ylabel="gradient run time (ms)",
       title="One output, many inputs: reverse mode's case")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# This is the story of notebooks 1, 3 and 6 once more, now for a simulation. The loss has
# one output and $P + 2$ inputs. Forward sensitivities pay per input, so their cost grows
# with $P$ (for small $P$ the fixed cost of the solver dominates); the adjoint pays per
# output, so its cost stays flat. The adjoint's price is memory: it needs the forward states
# during the backward sweep, which is where Part 5's checkpointing comes in. With few
# parameters and many outputs (every $Q(t_i)$ as a function of $R$ and $L$) the choice
# reverses.
#
# The *continuous* adjoint (solve the adjoint ODE with its own solver) is what many ODE
# libraries implement. Its gradient differs from the exact derivative of the discrete
# solver by the discretisation error, where the discrete adjoint above matches `jax.grad`
# to rounding.
#
# ## Part 7. Reverse mode is linearise, then transpose
#
# How does JAX get reverse mode from JVP rules alone (Part 3's `custom_jvp` gave us both)?
# Take a small function of two inputs and two outputs and look at the programs JAX writes.
# First `jax.jvp`: each operation of $f$, and beside it the operations on the tangents.

# %% tags=["demo"]
def f_small(x):
    return jnp.stack([x[0] * jnp.sin(x[1]), x[0] ** 2 + x[1]])


x_small = jnp.array([1.5, 0.4])
print(jax.make_jaxpr(lambda x, t: jax.jvp(f_small, (x,), (t,)))(x_small, jnp.ones(2)))

# %% [markdown]
# `jax.linearize` runs the primal part once and returns the tangent part as a function of
# its own. Its program is **linear** in the tangent: only multiplications by numbers
# computed at $x$ (the constants of the program, here $\sin x_1$, $x_0\cos x_1$, $2x_0$),
# and additions.

# %% tags=["demo"]
y_small, f_linear = jax.linearize(f_small, x_small)
print(jax.make_jaxpr(f_linear)(jnp.ones(2)))

# %% [markdown]
# A linear program can be **transposed** mechanically: run it backwards, turn each
# multiplication by a constant into a multiplication by the same constant, each fan-out
# into a sum, and each sum into a fan-out. `jax.linear_transpose` does exactly that, and
# the transposed program is the vector-Jacobian product. Compare it with the pullback of
# `jax.vjp`:

# %% tags=["demo"]
f_transposed = jax.linear_transpose(f_linear, jnp.ones(2))
_, pullback_small = jax.vjp(f_small, x_small)
print("transposed linearisation:\n", jax.make_jaxpr(f_transposed)(jnp.ones(2)))
print("the pullback of jax.vjp:\n", jax.make_jaxpr(pullback_small)(jnp.ones(2)))

# %% tags=["demo"]
rng = np.random.default_rng(7)
t_rand, u_rand = jnp.asarray(rng.normal(size=2)), jnp.asarray(rng.normal(size=2))
Jt = f_linear(t_rand)
(uJ,) = f_transposed(u_rand)
(uJ_vjp,) = pullback_small(u_rand)
J_by_hand = np.array([[np.sin(0.4), 1.5 * np.cos(0.4)], [2 * 1.5, 1.0]])
print("J t  :", Jt, "  by hand:", J_by_hand @ np.asarray(t_rand))
print("u J  :", uJ, "  vjp:", uJ_vjp, "  by hand:", np.asarray(u_rand) @ J_by_hand)
print("u.(J t) =", float(u_rand @ Jt), "  (u J).t =", float(uJ @ t_rand))
assert np.allclose(Jt, J_by_hand @ np.asarray(t_rand)) and np.allclose(uJ, np.asarray(u_rand) @ J_by_hand)
assert np.allclose(uJ, uJ_vjp, rtol=1e-15) and np.isclose(u_rand @ Jt, uJ @ t_rand, rtol=1e-14)

# %% [markdown]
# The two programs are the same up to the order of independent operations: `jax.vjp` *is*
# linearise-then-transpose. That is why JAX needs only a JVP rule per primitive (plus a
# transpose rule for each *linear* primitive, which is short), why a `custom_jvp` rule
# gives reverse mode for free, and why a `custom_vjp` rule, which has no JVP, gives reverse
# mode only. It also explains Part 4: transposing a loop means running it backwards, which
# needs its length, and Part 5: the constants of the linear program are the residuals that
# reverse mode must keep.
#
# ## Checkpoint

# %% tags=["demo"]
from jupyterquiz import display_quiz

display_quiz([
    {"question": "jax.grad(lambda x: jnp.where(x > 0, jnp.log(x), 0.0))(0.0) returns nan. Why?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "The log branch is differentiated at 0 too; its derivative inf times the 0 from where is nan",
          "correct": True, "feedback": "Right: guard the log's input with a second where."},
         {"answer": "jnp.where cannot be differentiated", "correct": False,
          "feedback": "It can: it passes the cotangent to the selected branch and 0 to the other."},
         {"answer": "log(0) is -inf, and the value is -inf", "correct": False,
          "feedback": "The value is 0: where selects the second branch. The derivative is the problem."}]},
    {"question": "Which of these are valid derivatives (subgradients) of relu at 0?",
     "type": "many_choice",
     "answers": [
         {"answer": "0", "correct": True, "feedback": "Right: PyTorch and jax.nn.relu choose it."},
         {"answer": "0.5", "correct": True, "feedback": "Right: jnp.maximum(x, 0) splits the tie."},
         {"answer": "1", "correct": True, "feedback": "Right: any slope in [0, 1] stays below the graph."},
         {"answer": "2", "correct": False, "feedback": "A line of slope 2 through 0 rises above relu for x > 0."}]},
    {"question": "You need reverse mode through a function and you know its derivative in closed form. "
                 "Which decorator gives jvp and grad from one rule?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "jax.custom_jvp", "correct": True,
          "feedback": "Right: JAX transposes the JVP rule to get reverse mode."},
         {"answer": "jax.custom_vjp", "correct": False, "feedback": "That gives reverse mode only; jvp then raises."},
         {"answer": "jax.checkpoint", "correct": False,
          "feedback": "That changes what is stored, not the derivative."}]},
    {"question": "A solver runs 5000 iterations to a fixed point. With implicit differentiation, how many "
                 "iterations' worth of values does reverse mode store?",
     "type": "numeric", "precision": 1,
     "answers": [{"type": "value", "value": 0, "correct": True,
                  "feedback": "Right: only the fixed point and the parameters, whatever the iteration count."},
                 {"type": "value", "value": 5000, "correct": False,
                  "feedback": "That is unrolling. The implicit function theorem needs only the end point."},
                 {"type": "default", "feedback": "The backward pass uses only y* and a."}]},
    {"question": "N = 10000 RK4 steps, checkpointed in segments of k steps. Which k uses least memory, "
                 "if a saved state and one step's intermediates cost about the same?",
     "type": "numeric", "precision": 2,
     "answers": [{"type": "value", "value": 100, "correct": True,
                  "feedback": "Right: N/k + k is smallest at k = sqrt(N) = 100."},
                 {"type": "default", "feedback": "Minimise N/k + k."}]},
    {"question": "A loss depends on 10000 parameters of an ODE. Which is cheaper for its gradient?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "the adjoint method (reverse mode)", "correct": True,
          "feedback": "Right: one backward sweep for one output, whatever the number of parameters."},
         {"answer": "forward sensitivities", "correct": False,
          "feedback": "They carry one extra state per parameter: 10000 of them."}]},
])

# %% [markdown]
# ## Summary
#
# - At a kink a library returns one subgradient, by convention; JAX and PyTorch differ, and
#   so do two spellings of the same function. It matters when a program starts exactly on
#   the kink.
# - `jnp.where` differentiates both branches: an unused branch with an infinite or `nan`
#   derivative turns the gradient into `nan`. Guard its input with a second `where`.
#   `stop_gradient` makes a value a constant for AD; it is not that fix.
# - `jax.custom_jvp` states a derivative (one rule, both modes); `jax.custom_vjp` states a
#   reverse-mode rule only (clipping, implicit differentiation). Stable formulas such as
#   $\min(x, 0) - \log(1 + e^{-|x|})$ fix values; a rule fixes their derivatives at kinks.
# - The implicit function theorem differentiates a solver by its end point:
#   $\bar a = w^\top \partial f/\partial a$ with $w = \bar y + (\partial f/\partial y)^\top w$. No
#   unrolling, no stored iterations.
# - Reverse mode keeps memory in proportion to the program's length (PyTorch's tape, JAX's
#   residuals); `jax.checkpoint` keeps only segment boundaries and recomputes, about
#   $\sqrt N$ memory for one extra forward pass.
# - For one loss and many parameters the adjoint (reverse mode) costs the same whatever the
#   number of parameters; forward sensitivities cost in proportion to it.
# - `jax.vjp` is `jax.linearize` followed by `jax.linear_transpose`.
