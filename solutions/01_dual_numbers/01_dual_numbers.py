# %% [markdown]
# # 1. Dual numbers: derivatives that are exact by construction
#
# *Automatic differentiation, from dual numbers to JAX* · notebook 1 of 6
#
# A computer program that evaluates $f(x)$ can, with a small change, also evaluate $f'(x)$
# **exactly** (to rounding), at the cost of a few extra multiplications. In this notebook you
# make that change yourself, as a Python class of *dual numbers*.
#
# You will:
# 1. see why finite differences are never exact, measure their best possible error, and see
#    how differentiating measured data amplifies its noise;
# 2. see where symbolic differentiation stops helping;
# 3. write a `Dual` class, the heart of **forward-mode automatic differentiation (AD)**;
# 4. differentiate real programs with it, and check every result a second way;
# 5. see what AD returns where a function has no derivative, and choose it yourself.
#
# **How to work.** Run the cells from top to bottom. Cells marked *Exercise* contain
# `raise NotImplementedError(...)`: replace that line with your code. The cell after each
# exercise is a self-check; if an `assert` fails, its message tells you which rule to look at.
# Your notebook is graded by hidden tests that try your code on inputs you have not seen.

# %% readonly="setup"
import math

import ipywidgets as widgets
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import sympy as sp
from IPython.display import display

jax.config.update("jax_enable_x64", True)  # float64 everywhere we compare with JAX
EPS = np.finfo(float).eps                   # machine epsilon of float64, about 2.2e-16

# %% [markdown]
# ## Part 1. Why automatic differentiation?
#
# ### Finite differences
#
# The derivative is a limit, $f'(x) = \lim_{h\to 0} \frac{f(x+h) - f(x)}{h}$. Stopping at a
# small but finite $h$ gives the **forward difference**; evaluating on both sides gives the
# **central difference**:
#
# $$D_+ f(x) = \frac{f(x+h) - f(x)}{h}, \qquad D_0 f(x) = \frac{f(x+h) - f(x-h)}{2h}.$$
#
# Mind the order in the numerator: it is $f(x+h) - f(x)$, "ahead minus here". Swapping it
# flips the sign of every derivative you compute.

# %% [markdown]
# ### Exercise `finite_differences`
#
# Write both formulas. `f` is a Python function of one float, `x` the point and `h` the step;
# each function returns the estimate of $f'(x)$ as a float.

# %% answer="finite_differences"
def forward_difference(f, x, h):
    """(f(x + h) - f(x)) / h"""
    ### BEGIN SOLUTION
    return (f(x + h) - f(x)) / h
    ### END SOLUTION


def central_difference(f, x, h):
    """(f(x + h) - f(x - h)) / (2 h)"""
    ### BEGIN SOLUTION
    return (f(x + h) - f(x - h)) / (2 * h)
    ### END SOLUTION


# %% test="test_finite_differences"
# Self-check: f(x) = x**2 at x = 3, where f'(3) = 6.
got = forward_difference(lambda x: x ** 2, 3.0, 0.5)
assert np.isclose(got, 6.5), (
    f"forward_difference(x**2, 3, h=0.5) should be (3.5**2 - 3**2)/0.5 = 6.5, got {got}"
    + (": the sign is flipped, use f(x + h) - f(x)" if np.isclose(got, -6.5) else ""))
got = central_difference(lambda x: x ** 2, 3.0, 0.5)
assert np.isclose(got, 6.0), (
    f"central_difference(x**2, 3, h=0.5) should be exactly 6 for a parabola, got {got}"
    + (": divide by 2*h, not h" if np.isclose(got, 12.0) else ""))
### BEGIN HIDDEN TESTS
from autograder.probes.dual_numbers import probe_finite_differences

probe_finite_differences(forward_difference, central_difference)
### END HIDDEN TESTS

# %% [markdown]
# ### How small should $h$ be?
#
# Two errors pull in opposite directions. Taylor's theorem gives the **truncation error**
# $\tfrac{h}{2}|f''|$ for $D_+$ and $\tfrac{h^2}{6}|f'''|$ for $D_0$: smaller $h$ is better.
# But $f(x+h)$ and $f(x)$ each carry a rounding error of about $\varepsilon|f|$, with
# $\varepsilon \approx 2.2\times10^{-16}$, and their difference is divided by $h$: a
# **round-off error** of about $\varepsilon |f| / h$, so smaller $h$ is worse.
#
# Balancing the two (for $|f|$, $|f''|$, $|f'''|$ of order 1), the best step is near
# $h^\ast \approx \sqrt{\varepsilon}\approx 1.5\times10^{-8}$ for the forward difference and
# $h^\ast \approx \sqrt[3]{\varepsilon} \approx 6\times10^{-6}$ for the central one. Even there,
# about half (forward) or a third (central) of the 16 digits are lost. Let us look.

# %% tags=["demo"]
def fd_errors(f, df, x, hs):
    """Absolute errors of the forward and central differences for each step in hs."""
    exact = df(x)
    fwd = np.array([abs(forward_difference(f, x, h) - exact) for h in hs])
    cen = np.array([abs(central_difference(f, x, h) - exact) for h in hs])
    return fwd, cen


hs = np.logspace(-16, -1, 151)
fwd, cen = fd_errors(np.sin, np.cos, 1.0, hs)

fig, ax = plt.subplots(figsize=(7, 4.5))
ax.loglog(hs, np.maximum(fwd, 1e-18), label="forward difference")
ax.loglog(hs, np.maximum(cen, 1e-18), label="central difference")
ax.loglog(hs, hs / 2 * np.sin(1.0), "k:", lw=1, label=r"truncation $\frac{h}{2}|f''|$")
ax.loglog(hs, EPS * np.sin(1.0) / hs, "k--", lw=1, label=r"round-off $\varepsilon|f|/h$")
for h_opt, name in [(np.sqrt(EPS), r"$\sqrt{\varepsilon}$"), (np.cbrt(EPS), r"$\sqrt[3]{\varepsilon}$")]:
    ax.axvline(h_opt, color="gray", alpha=0.5)
    ax.text(h_opt * 1.3, 1e-14, name)
ax.set(xlabel="step h", ylabel="|error| of f'(1) for f = sin", ylim=(1e-17, 1),
       title="Finite differences: truncation against round-off")
ax.legend(loc="lower left", fontsize=8)
plt.show()

for name, err, h_opt in [("forward", fwd, np.sqrt(EPS)), ("central", cen, np.cbrt(EPS))]:
    near = (hs > h_opt / 3) & (hs < h_opt * 3)   # steps within a factor 3 of the best one
    typical = np.median(err[near])
    print(f"{name}: for h near {h_opt:.1e} the error is about {typical:.0e}, "
          f"{-np.log10(typical / np.cos(1.0)):.0f} correct digits; "
          f"smallest on the grid {err.min():.0e} at h = {hs[np.argmin(err)]:.0e}")

# %% [markdown]
# The V shape is the whole story: to the right of the optimum the formula is wrong
# (truncation), to the left the arithmetic is (round-off). Near its best step the forward
# difference keeps about 8 correct digits and the central one about 11. (The very smallest
# error on the grid is a lucky cancellation of rounding errors: it moves when $x$ or $h$
# changes slightly, so it cannot be relied on.) Try it yourself: choose a function and a step.

# %% tags=["demo"]
FD_EXAMPLES = {
    "sin(x) at x = 1": (np.sin, np.cos, 1.0),
    "exp(x) at x = 2": (np.exp, np.exp, 2.0),
    "x**3 at x = 0.5": (lambda x: x ** 3, lambda x: 3 * x ** 2, 0.5),
    "1/x at x = 0.2": (lambda x: 1 / x, lambda x: -1 / x ** 2, 0.2),
}


def show_fd(name, log10_h):
    f, df, x = FD_EXAMPLES[name]
    h = 10.0 ** log10_h
    fwd, cen = fd_errors(f, df, x, hs)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.loglog(hs, np.maximum(fwd, 1e-18), label="forward")
    ax.loglog(hs, np.maximum(cen, 1e-18), label="central")
    ax.axvline(h, color="red", lw=1)
    ax.set(xlabel="h", ylabel="|error|", ylim=(1e-17, 1e3), title=name)
    ax.legend(fontsize=8)
    plt.show()
    exact = df(x)
    print(f"h = {h:.1e}   exact f'(x) = {exact:.15g}")
    print(f"forward: {forward_difference(f, x, h):.15g}   error {abs(forward_difference(f, x, h) - exact):.1e}")
    print(f"central: {central_difference(f, x, h):.15g}   error {abs(central_difference(f, x, h) - exact):.1e}")


choice = widgets.Dropdown(options=list(FD_EXAMPLES), description="f")
log10_h = widgets.FloatSlider(value=-5.0, min=-15.0, max=-1.0, step=0.5, description="log10 h")
display(widgets.VBox([widgets.HBox([choice, log10_h]),
                      widgets.interactive_output(show_fd, {"name": choice, "log10_h": log10_h})]))

# %% [markdown]
# ### When all you have is data
#
# Often there is no function to call again at $x + h$, only samples $y_i = f(x_i)$ on a
# grid, from a measurement or a simulation. `np.gradient(y, x)` estimates the derivative at
# every sample: inside, the central difference $(y_{i+1} - y_{i-1})/(x_{i+1} - x_{i-1})$; at
# the two ends, where one neighbour is missing, a one-sided formula. With `edge_order=1`
# (the default) that is the forward (or backward) difference, with an error $\propto h$;
# with `edge_order=2` it is the three-point formula $(-3y_0 + 4y_1 - y_2)/(2h)$, whose error
# is $\propto h^2$ like the interior's.

# %% tags=["demo"]
grid = np.linspace(0.0, 2.0, 21)
spacing = grid[1] - grid[0]
samples = np.sin(3 * grid + 1)
slope_exact = 3 * np.cos(3 * grid + 1)
slope_1 = np.gradient(samples, grid)                 # edge_order=1
slope_2 = np.gradient(samples, grid, edge_order=2)

# what np.gradient computes, written out
assert np.allclose(slope_1[1:-1], (samples[2:] - samples[:-2]) / (2 * spacing))
assert np.isclose(slope_1[0], (samples[1] - samples[0]) / spacing)
assert np.isclose(slope_2[0], (-3 * samples[0] + 4 * samples[1] - samples[2]) / (2 * spacing))

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.semilogy(grid, np.abs(slope_1 - slope_exact), "o-", label="edge_order=1")
ax.semilogy(grid, np.abs(slope_2 - slope_exact), "s--", label="edge_order=2")
ax.set(xlabel="x", ylabel="|error| of the slope",
       title=f"np.gradient of sin(3x + 1), {grid.size} samples")
ax.legend()
plt.show()
print(f"error at the left end: edge_order=1 {abs(slope_1[0] - slope_exact[0]):.2e}, "
      f"edge_order=2 {abs(slope_2[0] - slope_exact[0]):.2e}; largest inside {np.max(np.abs(slope_1 - slope_exact)[1:-1]):.2e}")

# %% [markdown]
# **Noise is the round-off of data.** A measurement error of size $\sigma$ in each sample
# becomes an error of about $\sigma / h$ in a difference quotient, just as the rounding error
# $\varepsilon|f|$ did above, but $\sigma$ is usually far larger than $\varepsilon$. A finer
# grid shrinks the truncation error and *amplifies* the noise: the same V, with its bottom
# much higher.

# %% tags=["demo"]
SIGMA = 1e-3                                  # noise of the measurements
noise_rng = np.random.default_rng(1)
counts = np.unique(np.logspace(0.8, 4.5, 16).astype(int))
rms_error, steps = [], []
for n in counts:
    x_n = np.linspace(0.0, 2.0, n)
    y_n = np.sin(3 * x_n + 1) + SIGMA * noise_rng.standard_normal(n)
    err = np.gradient(y_n, x_n, edge_order=2) - 3 * np.cos(3 * x_n + 1)
    rms_error.append(np.sqrt(np.mean(err[1:-1] ** 2)))
    steps.append(x_n[1] - x_n[0])
steps, rms_error = np.array(steps), np.array(rms_error)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
ax1.loglog(steps, rms_error, "o-", label="np.gradient of noisy samples")
ax1.loglog(steps, steps ** 2 / 6 * 27 / np.sqrt(2), "k:", lw=1, label=r"truncation $\propto h^2$")
ax1.loglog(steps, SIGMA / (np.sqrt(2) * steps), "k--", lw=1, label=r"noise $\sigma / (\sqrt{2}\,h)$")
ax1.set(xlabel="grid spacing h", ylabel="rms error of the slope", title=f"noise of size {SIGMA:g}")
ax1.legend(fontsize=8)
x_fine = np.linspace(0.0, 2.0, 2000)
y_fine = np.sin(3 * x_fine + 1) + SIGMA * noise_rng.standard_normal(x_fine.size)
slope_fine = np.gradient(y_fine, x_fine)
ax2.plot(x_fine, slope_fine, lw=0.5, label=f"np.gradient, {x_fine.size} noisy samples")
ax2.plot(x_fine, 3 * np.cos(3 * x_fine + 1), "k", label="exact 3 cos(3x + 1)")
ax2.set(xlabel="x", title=f"noise {SIGMA:g} in the samples, "
        f"{np.std(slope_fine - 3 * np.cos(3 * x_fine + 1)):.1g} in the slope")
ax2.legend(fontsize=8, loc="lower left")
plt.show()
best = np.argmin(rms_error)
print(f"best spacing {steps[best]:.2g}: rms error {rms_error[best]:.1e}; "
      f"finest spacing {steps[-1]:.1e}: rms error {rms_error[-1]:.1e}")

# %% [markdown]
# With noise $10^{-3}$ the best grid gives the slope to about two digits, and a fine grid is
# useless. AD cannot help here, because there is no program to differentiate, only numbers.
# What helps is a *model*: fit a function to the data and differentiate the function. That
# is what notebook 2 does with a circuit's measured charge curve.

# %% [markdown]
# ### Symbolic differentiation
#
# A computer algebra system such as SymPy applies the rules of calculus to a formula and is
# exact. Take the "messy" function
# $f(x) = \exp\!\big(\sin(x^2 - (3 - \cos(x^7 + 10e^x))^2)\big)$:

# %% tags=["demo"]
x = sp.symbols("x")
f_sym = sp.exp(sp.sin(x ** 2 - (3 - sp.cos(x ** 7 + 10 * sp.exp(x))) ** 2))
df_sym = sp.diff(f_sym, x)
display(df_sym)
print("f(1)  =", sp.N(f_sym.subs(x, 1), 10))
print("f'(1) =", sp.N(df_sym.subs(x, 1), 10))

# %% [markdown]
# Exact, but notice two problems.
#
# **Expression swell.** The derivative repeats large pieces of $f$, and each further
# derivative repeats them again. Counting operations in the expression tree, where a piece
# that appears twice is counted twice, and after `sp.cse` (common subexpression
# elimination), which names each repeated piece once and counts it once:

# %% tags=["demo"]
def shared_ops(expression):
    """Operations once each repeated subexpression is computed only once (sp.cse)."""
    named, (reduced,) = sp.cse(expression)
    return sum(sp.count_ops(rhs) for _, rhs in named) + sp.count_ops(reduced)


expr = f_sym
tree_sizes, shared_sizes = [], []
for _order in range(5):
    tree_sizes.append(sp.count_ops(expr))
    shared_sizes.append(shared_ops(expr))
    expr = sp.diff(expr, x)
assert all(s <= t for s, t in zip(shared_sizes, tree_sizes))

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(range(5), tree_sizes, "o-", label="expression tree (sp.count_ops)")
ax.semilogy(range(5), shared_sizes, "s-", label="shared subexpressions (sp.cse)")
ax.set(xlabel="order of the derivative", ylabel="operations",
       title="Symbolic derivatives of f grow fast")
ax.legend(fontsize=8)
plt.show()
print("tree:  ", tree_sizes)
print("shared:", shared_sizes)

# %% [markdown]
# Much of the swell is repetition: the same pieces of $f$ reappear in every term of the
# derivative. Sharing them is exactly what AD does. It never writes the formula out; it runs
# the program, where each intermediate value is computed once and reused, and carries one
# derivative along with each. That is why a derivative by AD costs a small constant times
# the program itself, however long its formula would be when written out.

# %% [markdown]
# **Programs are not formulas.** Real code has branches and loops whose path depends on the
# value of $x$. SymPy needs one closed formula and cannot decide `if a < 1e-3` for a symbol:

# %% tags=["demo"]
def clipped_newton_sqrt(a, steps=5):
    """sqrt(a) by Newton's method, clipping small inputs: a program, not a formula."""
    if a < 1e-3:
        return 0.0 * a
    guess = a
    for _ in range(steps):
        guess = 0.5 * (guess + a / guess)
    return guess


try:
    clipped_newton_sqrt(x)
except TypeError as err:
    print("SymPy cannot run this program:", err)

# %% [markdown]
# Automatic differentiation has neither problem: it never builds a formula. It runs the
# program on numbers that carry their own derivative along. The derivative with respect to
# one input costs a small constant times the program itself, and it is exact up to rounding.
#
# ## Part 2. Dual numbers
#
# A **dual number** is a pair $(u, v)$: a value $u$ and a derivative $v$, both with respect
# to the same input $x$. Think of it as $u + v\,\varepsilon$ with the rule
# $\varepsilon^2 = 0$. The input itself is $(x, 1)$, because $dx/dx = 1$; a constant $c$ is
# $(c, 0)$.
#
# Arithmetic on pairs is the rules of calculus:
#
# | operation | result | rule |
# |---|---|---|
# | $(u, v) + (w, z)$ | $(u + w,\; v + z)$ | sum |
# | $(u, v) - (w, z)$ | $(u - w,\; v - z)$ | difference |
# | $(u, v)\cdot(w, z)$ | $(uw,\; vw + uz)$ | product rule |
# | $(u, v)\,/\,(w, z)$ | $\big(\tfrac{u}{w},\; \tfrac{vw - uz}{w^2}\big)$ | quotient rule |
# | $(u, v)\cdot r$ | $(ur,\; vr)$ | a real factor scales the derivative too |
# | $(u, v)\,/\,r$ | $(u/r,\; v/r)$ | so does a real divisor |
# | $r\,/\,(u, v)$ | $\big(\tfrac{r}{u},\; -\tfrac{r v}{u^2}\big)$ | a real over a dual is still a dual |
# | $(u, v)^p$ | $(u^p,\; p\,u^{p-1} v)$ | power rule with the chain factor $v$ |
# | $g\big((u, v)\big)$ | $\big(g(u),\; g'(u)\, v\big)$ | chain rule, e.g. $\sin \to (\sin u, v\cos u)$ |
#
# The chain factor $v$ in the last rows is what makes compositions work: in $\sin(x^2)$ the
# inner dual is $(x^2, 2x)$ and the outer rule multiplies by its derivative $2x$.
#
# ### Building the class, one method at a time
#
# Python turns `a + b` into `a.__add__(b)`. If `a` cannot handle `b` (a float's `__add__`
# returns `NotImplemented` for a dual), Python tries `b.__radd__(a)`, the *reflected*
# method. So `x + 1` needs `__add__` and `1 + x` needs `__radd__`.

# %% tags=["demo"]
class DualSketch:
    def __init__(self, value, derivative=0.0):
        self.value = value
        self.derivative = derivative

    def __repr__(self):
        return f"DualSketch({self.value}, {self.derivative})"

    def __add__(self, other):
        if isinstance(other, DualSketch):
            return DualSketch(self.value + other.value, self.derivative + other.derivative)
        return DualSketch(self.value + other, self.derivative)  # a constant has derivative 0


a = DualSketch(2.0, 1.0)
print("a + a =", a + a)
print("a + 1 =", a + 1)
try:
    print(1 + a)
except TypeError as err:
    print("1 + a fails without __radd__:", err)

DualSketch.__radd__ = DualSketch.__add__  # addition commutes, so the same rule works
print("1 + a =", 1 + a)

# %% [markdown]
# ### Why `np.sin(x)` can work on your object
#
# `np.sin`, `np.exp` and the other NumPy math functions are *ufuncs*. Given an object they
# do not know, they treat it as an array of dtype `object` and call the method **of the same
# name** on each element: `np.sin(a)`
# calls `a.sin()`. (A class may instead define `__array_ufunc__` to take over completely.)
# So a `sin` method is all `np.sin` needs:

# %% tags=["demo"]
class WithSin:
    def sin(self):
        return "WithSin.sin() was called"


print(np.sin(WithSin()))

# %% [markdown]
# ### Exercise `dual_class`
#
# Complete the class below. It must support
# - `+ - * /` between two duals, and with a real number (int, float or NumPy float) **on
#   either side**: `x * 2`, `2 * x`, `1 / x`, `3 - x`;
# - `x ** p` for a real exponent `p`, and unary minus `-x`;
# - `np.exp`, `np.log`, `np.sin`, `np.cos`, `np.sqrt` of a dual, each returning a `Dual`;
# - the comparisons `<`, `<=`, `>`, `>=`, with a dual or a real number, which compare the
#   **values** only and return a `bool`. They let a program branch on a dual
#   (`if a < 1e-3: ...`), as real programs do.
#
# Every operation returns a **new** `Dual`; none changes its operands. Use the table above,
# and do not use JAX, PyTorch, autograd, TensorFlow or SymPy, in this cell or through a helper
# in another: the point is to compute the derivatives yourself. The grader records which
# libraries run while your class works; an answer that uses one earns no points.
#
# *Bonus* (one point): `x ** y` with a dual exponent, and `c ** x` with a real base
# (`__rpow__`).

# %% answer="dual_class"
class Dual:
    """A dual number value + derivative * eps, with eps**2 = 0."""

    def __init__(self, value, derivative=0.0):
        self.value = value
        self.derivative = derivative

    def __repr__(self):
        return f"Dual({self.value!r}, {self.derivative!r})"

    # --- arithmetic -------------------------------------------------------------
    def __add__(self, other):
        ### BEGIN SOLUTION
        if isinstance(other, Dual):
            return Dual(self.value + other.value, self.derivative + other.derivative)
        return Dual(self.value + other, self.derivative)
        ### END SOLUTION

    def __radd__(self, other):
        ### BEGIN SOLUTION
        return self + other
        ### END SOLUTION

    def __sub__(self, other):
        ### BEGIN SOLUTION
        if isinstance(other, Dual):
            return Dual(self.value - other.value, self.derivative - other.derivative)
        return Dual(self.value - other, self.derivative)
        ### END SOLUTION

    def __rsub__(self, other):
        ### BEGIN SOLUTION
        return Dual(other - self.value, -self.derivative)
        ### END SOLUTION

    def __neg__(self):
        ### BEGIN SOLUTION
        return Dual(-self.value, -self.derivative)
        ### END SOLUTION

    def __mul__(self, other):
        ### BEGIN SOLUTION
        if isinstance(other, Dual):
            return Dual(self.value * other.value,
                        self.derivative * other.value + self.value * other.derivative)
        return Dual(self.value * other, self.derivative * other)
        ### END SOLUTION

    def __rmul__(self, other):
        ### BEGIN SOLUTION
        return self * other
        ### END SOLUTION

    def __truediv__(self, other):
        ### BEGIN SOLUTION
        if isinstance(other, Dual):
            return Dual(self.value / other.value,
                        (self.derivative * other.value - self.value * other.derivative) / other.value ** 2)
        return Dual(self.value / other, self.derivative / other)
        ### END SOLUTION

    def __rtruediv__(self, other):
        ### BEGIN SOLUTION
        return Dual(other / self.value, -other * self.derivative / self.value ** 2)
        ### END SOLUTION

    def __pow__(self, p):
        ### BEGIN SOLUTION
        if isinstance(p, Dual):  # bonus: d(u**w) = u**w * (w' log u + w u'/u)
            v = self.value ** p.value
            return Dual(v, v * (p.derivative * np.log(self.value) + p.value * self.derivative / self.value))
        return Dual(self.value ** p, p * self.value ** (p - 1) * self.derivative)
        ### END SOLUTION

    def __rpow__(self, base):
        ### BEGIN SOLUTION
        v = base ** self.value  # bonus: d(c**u) = c**u * log(c) * u'
        return Dual(v, v * np.log(base) * self.derivative)
        ### END SOLUTION

    # --- functions: np.exp(x) calls x.exp(), and so on -------------------------
    def exp(self):
        ### BEGIN SOLUTION
        return Dual(np.exp(self.value), np.exp(self.value) * self.derivative)
        ### END SOLUTION

    def log(self):
        ### BEGIN SOLUTION
        return Dual(np.log(self.value), self.derivative / self.value)
        ### END SOLUTION

    def sin(self):
        ### BEGIN SOLUTION
        return Dual(np.sin(self.value), np.cos(self.value) * self.derivative)
        ### END SOLUTION

    def cos(self):
        ### BEGIN SOLUTION
        return Dual(np.cos(self.value), -np.sin(self.value) * self.derivative)
        ### END SOLUTION

    def sqrt(self):
        ### BEGIN SOLUTION
        root = np.sqrt(self.value)
        return Dual(root, self.derivative / (2 * root))
        ### END SOLUTION

    # --- comparisons look at the value only ---------------------------------------
    def __lt__(self, other):
        ### BEGIN SOLUTION
        return self.value < (other.value if isinstance(other, Dual) else other)
        ### END SOLUTION

    def __le__(self, other):
        ### BEGIN SOLUTION
        return self.value <= (other.value if isinstance(other, Dual) else other)
        ### END SOLUTION

    def __gt__(self, other):
        ### BEGIN SOLUTION
        return self.value > (other.value if isinstance(other, Dual) else other)
        ### END SOLUTION

    def __ge__(self, other):
        ### BEGIN SOLUTION
        return self.value >= (other.value if isinstance(other, Dual) else other)
        ### END SOLUTION


# %% readonly="self_check_helpers"
def expect_dual(label, got, value, derivative, hint):
    """Self-check: `got` should be a Dual with this value and derivative."""
    assert isinstance(got, Dual), f"{label} should be a Dual, got {type(got).__name__}: check {hint}"
    assert np.isclose(got.value, value, rtol=1e-9, atol=1e-12), (
        f"{label}: value should be {value:.6g}, got {got.value!r}: check {hint}")
    assert np.isclose(got.derivative, derivative, rtol=1e-9, atol=1e-12), (
        f"{label}: derivative should be {derivative:.6g}, got {got.derivative!r}: check {hint}")


# %% test="test_dual_add_sub"
x, y = Dual(2.0, 1.0), Dual(5.0, -3.0)
expect_dual("x + y", x + y, 7.0, -2.0, "__add__")
expect_dual("x + 1", x + 1, 3.0, 1.0, "__add__ with a number")
expect_dual("1 + x", 1 + x, 3.0, 1.0, "__radd__")
expect_dual("x - y", x - y, -3.0, 4.0, "__sub__")
expect_dual("3 - x", 3 - x, 1.0, -1.0, "__rsub__ (the derivative of 3 - x is -1)")
expect_dual("-x", -x, -2.0, -1.0, "__neg__ (negate the derivative too)")
### BEGIN HIDDEN TESTS
from autograder.probes.dual_numbers import probe_group

probe_group("dual_add_sub", Dual)
### END HIDDEN TESTS

# %% test="test_dual_mul_div"
x, y = Dual(2.0, 1.0), Dual(5.0, -3.0)
expect_dual("x * y", x * y, 10.0, 5.0 * 1.0 + 2.0 * -3.0, "__mul__ (product rule)")
expect_dual("x * 3", x * 3, 6.0, 3.0, "__mul__: a real factor scales the derivative")
expect_dual("3 * x", 3 * x, 6.0, 3.0, "__rmul__")
expect_dual("x / y", x / y, 0.4, (1.0 * 5.0 - 2.0 * -3.0) / 25.0, "__truediv__ (quotient rule)")
expect_dual("x / 4", x / 4, 0.5, 0.25, "__truediv__: dividing by a real scales the derivative")
expect_dual("1 / x at x = 2 (d/dx 1/x = -1/x**2)", 1 / x, 0.5, -0.25, "__rtruediv__")
### BEGIN HIDDEN TESTS
from autograder.probes.dual_numbers import probe_group

probe_group("dual_mul_div", Dual)
### END HIDDEN TESTS

# %% test="test_dual_power"
x = Dual(4.0, 1.0)
expect_dual("x ** 2", x ** 2, 16.0, 8.0, "__pow__")
expect_dual("x ** 0.5", x ** 0.5, 2.0, 0.25, "__pow__ (p * x**(p - 1) * dx)")
expect_dual("Dual(4, 3) ** 2", Dual(4.0, 3.0) ** 2, 16.0, 24.0, "__pow__: multiply by the derivative of the base")
### BEGIN HIDDEN TESTS
from autograder.probes.dual_numbers import probe_group

probe_group("dual_power", Dual)
### END HIDDEN TESTS

# %% test="test_dual_functions"
x = Dual(0.5, 2.0)  # a derivative of 2 checks that each rule multiplies by it (the chain rule)
expect_dual("np.exp(x)", np.exp(x), np.exp(0.5), 2 * np.exp(0.5), "exp")
expect_dual("np.log(x)", np.log(x), np.log(0.5), 2 / 0.5, "log")
expect_dual("np.sin(x)", np.sin(x), np.sin(0.5), 2 * np.cos(0.5), "sin")
expect_dual("np.cos(x)", np.cos(x), np.cos(0.5), -2 * np.sin(0.5), "cos (the derivative of cos is -sin)")
expect_dual("np.sqrt(x)", np.sqrt(x), np.sqrt(0.5), 2 / (2 * np.sqrt(0.5)), "sqrt")
### BEGIN HIDDEN TESTS
from autograder.probes.dual_numbers import probe_group

probe_group("dual_functions", Dual)
### END HIDDEN TESTS

# %% test="test_dual_compositions"
x = Dual(1.0, 1.0)
messy = np.exp(np.sin(x ** 2 - (3 - np.cos(x ** 7 + 10 * np.exp(x))) ** 2))
expect_dual("the messy function at x = 1", messy, 0.5089843942060478, 8.620617825647981,
            "each rule's chain factor")
expect_dual("sin(x)**2 + cos(x)**2", np.sin(x) ** 2 + np.cos(x) ** 2, 1.0, 0.0, "sin, cos and __pow__")
### BEGIN HIDDEN TESTS
from autograder.probes.dual_numbers import probe_group

probe_group("dual_compositions", Dual)
### END HIDDEN TESTS

# %% test="test_dual_comparisons"
x, y = Dual(2.0, 1.0), Dual(3.0, 0.5)
for label, got, want, method in [("x < y", x < y, True, "__lt__"), ("x <= y", x <= y, True, "__le__"),
                                 ("x > y", x > y, False, "__gt__"), ("y >= 2.5", y >= 2.5, True, "__ge__"),
                                 ("x < 1", x < 1, False, "__lt__"), ("Dual(2, 5) <= Dual(2, 1)",
                                  Dual(2.0, 5.0) <= Dual(2.0, 1.0), True, "__le__ (equal values)")]:
    assert got is want or (isinstance(got, (bool, np.bool_)) and bool(got) == want), (
        f"{label} should be {want}, got {got!r}: check {method}; comparisons look at the values only")
expect_dual("max(x, y)", max(x, y), 3.0, 0.5, "__gt__ and __lt__ (Python's max uses them)")
### BEGIN HIDDEN TESTS
from autograder.probes.dual_numbers import probe_group

probe_group("dual_comparisons", Dual)
### END HIDDEN TESTS

# %% test="test_dual_bonus"
x, y = Dual(2.0, 1.0), Dual(3.0, 0.5)
expect_dual("x ** y", x ** y, 8.0, 8.0 * (0.5 * np.log(2.0) + 3.0 * 1.0 / 2.0), "__pow__ with a Dual exponent")
expect_dual("2 ** x", 2 ** x, 4.0, 4.0 * np.log(2.0), "__rpow__")
### BEGIN HIDDEN TESTS
from autograder.probes.dual_numbers import probe_group

probe_group("dual_bonus", Dual)
### END HIDDEN TESTS

# %% [markdown]
# ## Part 3. Using it
#
# To differentiate $f$ at $x$, feed it the dual $(x, 1)$ and read the derivative part.
#
# ### Exercise `derivative_helper`
#
# Write `derivative(f, x)`, returning $f'(x)$ as a float, for any `f` built from the
# operations your `Dual` supports.

# %% answer="derivative_helper"
def derivative(f, x):
    """f'(x) by forward-mode AD with dual numbers."""
    ### BEGIN SOLUTION
    return f(Dual(x, 1.0)).derivative
    ### END SOLUTION


# %% test="test_derivative_helper"
got = derivative(lambda t: t ** 3 - 2 * t, 2.0)
assert np.isclose(got, 10.0), f"derivative(x**3 - 2x, 2) should be 3*4 - 2 = 10, got {got}: seed the input as Dual(x, 1)"
### BEGIN HIDDEN TESTS
from autograder.probes.dual_numbers import probe_derivative_helper

probe_derivative_helper(derivative)
### END HIDDEN TESTS

# %% [markdown]
# ### Every derivative, checked a second way
#
# Three functions, three methods: your dual numbers, the central difference at its best
# step, and JAX (in float64). The duals and JAX agree to 13 digits or more (they round in a
# different order); the central difference keeps only 6 to 11, fewest for the wiggly messy
# function, whose higher derivatives are large.

# %% tags=["demo"]
examples = {
    "3x^4 - 2x^2 + x - 7 at x = 1.5": (lambda m, t: 3 * t ** 4 - 2 * t ** 2 + t - 7, 1.5),
    "sin(x)^2 at x = 0.7": (lambda m, t: m.sin(t) ** 2, 0.7),
    "messy f at x = 1": (lambda m, t: m.exp(m.sin(t ** 2 - (3 - m.cos(t ** 7 + 10 * m.exp(t))) ** 2)), 1.0),
}
print(f"{'function':<34}{'dual numbers':>22}{'central difference':>22}{'JAX':>22}")
for name, (fn, x0) in examples.items():
    by_dual = derivative(lambda t: fn(np, t), x0)
    by_fd = central_difference(lambda t: fn(np, t), x0, np.cbrt(EPS))
    by_jax = float(jax.grad(lambda t: fn(jnp, t))(x0))
    assert np.isclose(by_dual, by_jax, rtol=1e-12), f"{name}: dual {by_dual} and JAX {by_jax} disagree"
    assert np.isclose(by_dual, by_fd, rtol=1e-5), f"{name}: dual {by_dual} and finite difference {by_fd} disagree"
    print(f"{name:<34}{by_dual:>22.15g}{by_fd:>22.15g}{by_jax:>22.15g}")

# %% [markdown]
# And over a whole interval: the messy function and its derivative from duals (lines)
# against JAX (dots).

# %% tags=["demo"]
ts = np.linspace(0.5, 1.2, 400)
messy_np = examples["messy f at x = 1"][0]
duals = [messy_np(np, Dual(t, 1.0)) for t in ts]   # one pass per point gives both
values = np.array([d.value for d in duals])
slopes = np.array([d.derivative for d in duals])
jax_slopes = jax.vmap(jax.grad(lambda t: messy_np(jnp, t)))(jnp.asarray(ts[::20]))
assert np.allclose(slopes[::20], jax_slopes, rtol=1e-10), "dual numbers and JAX disagree"

fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
ax1.plot(ts, values)
ax1.set(ylabel="f(x)", title="The messy function and its derivative")
ax2.plot(ts, slopes, label="dual numbers")
ax2.plot(ts[::20], jax_slopes, "o", ms=4, label="JAX")
ax2.set(xlabel="x", ylabel="f'(x)")
ax2.legend()
plt.show()

# %% [markdown]
# ### Programs, not formulas
#
# The Newton square root that SymPy could not run is just code to a dual number: the
# comparison `a < 1e-3` looks at the value (that is why `Dual` needs comparisons), the loop
# runs five times, and the derivative rides along.

# %% tags=["demo"]
for a in [2.0, 100.0]:
    d_dual = derivative(clipped_newton_sqrt, a)
    d_fd = central_difference(clipped_newton_sqrt, a, 1e-6)
    print(f"d/da sqrt(a) at a = {a}: dual {d_dual:.12f}, central difference {d_fd:.12f}, "
          f"exact 1/(2 sqrt a) = {1 / (2 * math.sqrt(a)):.12f}")
    assert np.isclose(d_dual, d_fd, rtol=1e-6)

# %% [markdown]
# Five Newton steps from $a$ give $\sqrt{2}$ to full precision but $\sqrt{100}$ only as
# $10.03$, so there the dual number's derivative, exact for *this program*, differs from
# $1/(2\sqrt a)$. AD differentiates the program you wrote, not the function you meant.
#
# ### What forward mode costs
#
# One pass with scalar duals gives the derivative with respect to **one** input. A function
# of $n$ inputs needs $n$ passes, one per seed $(x_i, 1)$. That is cheap for a few
# parameters, as in the next notebook, and expensive for millions. (Notebook 2 carries
# several derivatives in one pass, with a vector in the derivative part; the work still
# grows with $n$.) A neural network's loss has millions of inputs and one output, so it uses
# **reverse mode** (notebook 3), which needs one pass per *output* instead.
#
# ## Part 4. Where there is no derivative
#
# ### Infinite and undefined
#
# $\sqrt{x}$ has the derivative $1/(2\sqrt x)$, which is infinite at $x = 0$. Dual numbers
# report exactly that. Now take $\sqrt{x \cdot x}$, which is $|x|$: it has no derivative at
# 0, but AD does not know that. It computes the inner derivative $2 \cdot 0 \cdot 1 = 0$ and
# the outer factor $1/(2\cdot 0) = \infty$, and $0 \cdot \infty$ is `nan`, "not a number".
# JAX and PyTorch, which apply the same rules, agree. (NumPy warns about a division by zero;
# `np.errstate` silences the warning, not the result.)

# %% tags=["demo"]
import torch


def dual_at_zero(fn):
    """fn(Dual(0, 1)).derivative, or why your Dual could not compute it."""
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            return fn(Dual(0.0, 1.0)).derivative
    except ZeroDivisionError as err:  # a rule computed in Python floats, not NumPy floats
        return f"ZeroDivisionError ({err})"


def torch_at_zero(fn):
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    fn(t).backward()
    return t.grad.item()


print(f"{'derivative at x = 0':<22}{'dual numbers':>28}{'JAX':>10}{'PyTorch':>10}")
for name, fn in [("sqrt(x)", lambda m, t: m.sqrt(t)), ("sqrt(x * x)", lambda m, t: m.sqrt(t * t))]:
    by_dual = dual_at_zero(lambda t: fn(np, t))
    by_jax = float(jax.grad(lambda t: fn(jnp, t))(0.0))
    by_torch = torch_at_zero(lambda t: fn(torch, t))
    assert np.array_equal(by_jax, by_torch, equal_nan=True)
    if isinstance(by_dual, float):
        assert np.array_equal(by_dual, by_jax, equal_nan=True), f"{name}: dual {by_dual} and JAX {by_jax} differ"
    print(f"{name:<22}{by_dual!s:>28}{by_jax:>10}{by_torch:>10}")

# %% [markdown]
# The `nan` is the lesson: the same function written as a different program can have a
# useless derivative at one point. (Notebook 7 returns to this trap, and to its cure.)
#
# ### Kinks: a derivative by convention
#
# $|x|$, $\text{relu}(x) = \max(x, 0)$ and $\max$ in general have a **kink** at 0: the slope
# is $-1$ or $0$ on the left and $1$ on the right, and no derivative exists in between.
# Any slope between the left and the right one (a *subgradient*) is a defensible answer,
# and the libraries choose. Their code branches on the value, and at exactly 0 it returns
# the derivative of whichever branch it took. Away from 0 they all agree with the exact
# slope; at 0 they do not:

# %% tags=["demo"]
kinked = {
    "abs": (jnp.abs, torch.abs),
    "relu": (jax.nn.relu, torch.relu),
    "max(x, 0)": (lambda t: jnp.maximum(t, 0.0), lambda t: torch.clamp(t, min=0.0)),
}
print(f"{'function':<12}{'slope at -0.5':>16}{'at +0.5':>10}{'at 0: JAX':>12}{'PyTorch':>10}")
for name, (jax_fn, torch_fn) in kinked.items():
    exact = {"abs": (-1.0, 1.0), "relu": (0.0, 1.0), "max(x, 0)": (0.0, 1.0)}[name]
    sides = [float(jax.grad(jax_fn)(v)) for v in (-0.5, 0.5)]
    assert sides == list(exact) and [torch_at_zero(lambda t: torch_fn(t + v)) for v in (-0.5, 0.5)] == list(exact)
    print(f"{name:<12}{sides[0]:>16g}{sides[1]:>10g}{float(jax.grad(jax_fn)(0.0)):>12g}{torch_at_zero(torch_fn):>10g}")

# %% [markdown]
# JAX says $|x|' = 1$ at 0, PyTorch says 0, and `jnp.maximum` splits the tie and says
# $\tfrac12$. It rarely matters, since a random input is almost never exactly 0. It does
# matter when a value sits exactly on the kink, such as the minimum of $|x|$: there 0 is the
# natural choice, the smallest subgradient, the one that says "you are at a minimum". Both
# libraries give 0 for relu.
#
# ### Exercise `kinks`
#
# Write `relu(x)` $= \max(x, 0)$ and `absolute(x)` $= |x|$. Each takes a float or a `Dual`
# and returns the same kind: branch on the value with the comparisons of your `Dual` and
# use only its arithmetic, as `clipped_newton_sqrt` does. At the kink, $x = 0$ exactly,
# the derivative must be **0** for both (the convention of PyTorch): return `x` only when
# `x > 0`, `-x` only when `x < 0`, and otherwise `0 * x`, which is a `Dual` with value and
# derivative 0 (the number 0 would lose the `Dual`). Do not use `abs`, `max` or
# `np.maximum` (they have no rule for duals, or the wrong one at 0), and do not use an AD
# library.

# %% answer="kinks"
def relu(x):
    """max(x, 0) for a float or a Dual; the derivative at 0 is 0."""
    ### BEGIN SOLUTION
    return x if x > 0 else 0 * x
    ### END SOLUTION


def absolute(x):
    """|x| for a float or a Dual; the derivative at 0 is 0."""
    ### BEGIN SOLUTION
    return relu(x) + relu(-x)
    ### END SOLUTION


# %% test="test_kinks"
expect_dual("relu(Dual(2, 3))", relu(Dual(2.0, 3.0)), 2.0, 3.0, "relu: for x > 0 it returns x")
expect_dual("relu(Dual(-2, 3))", relu(Dual(-2.0, 3.0)), 0.0, 0.0, "relu: for x < 0 it returns 0 * x, a Dual")
expect_dual("relu(Dual(0, 3))", relu(Dual(0.0, 3.0)), 0.0, 0.0,
            "relu at the kink: the derivative should be 0, so return x only when x > 0")
expect_dual("absolute(Dual(-2, 3))", absolute(Dual(-2.0, 3.0)), 2.0, -3.0, "absolute: for x < 0 it returns -x")
expect_dual("absolute(Dual(0, 3))", absolute(Dual(0.0, 3.0)), 0.0, 0.0,
            "absolute at the kink: the derivative should be 0, neither the x nor the -x branch")
expect_dual("absolute(Dual(0.5, 3) - 0.5)", absolute(Dual(0.5, 3.0) - 0.5), 0.0, 0.0,
            "absolute at the kink of |x - 0.5|")
for fn, arg, want in [(relu, 2.5, 2.5), (relu, -1.5, 0.0), (absolute, -1.5, 1.5)]:
    got = fn(arg)
    assert isinstance(got, (int, float)) and got == want, (
        f"{fn.__name__}({arg}) should be the float {want}, got {got!r}: it must also take plain floats")
### BEGIN HIDDEN TESTS
from autograder.probes.dual_numbers import probe_kinks

probe_kinks(relu, absolute, Dual)
### END HIDDEN TESTS

# %% [markdown]
# A picture of the kink: the derivative of $|x|$ near 0, by dual numbers and by central
# differences with $h = 0.05$. Within $h$ of the kink every difference quotient straddles
# it and reports a slope in between; dual numbers take the branch of $x$ itself and jump.

# %% tags=["demo"]
xs_kink = np.concatenate([np.linspace(-0.3, -0.001, 150), [0.0], np.linspace(0.001, 0.3, 150)])
by_dual = np.array([absolute(Dual(v, 1.0)).derivative for v in xs_kink])
by_fd = np.array([central_difference(absolute, v, 0.05) for v in xs_kink])
far = np.abs(xs_kink) > 0.05
assert np.allclose(by_dual, np.sign(xs_kink)) and np.allclose(by_fd[far], np.sign(xs_kink[far]))

fig, ax = plt.subplots(figsize=(6.5, 3.5))
ax.plot(xs_kink, by_fd, label="central difference, h = 0.05")
ax.plot(xs_kink, by_dual, ".", ms=3, label="dual numbers")
ax.plot([0.0], [absolute(Dual(0.0, 1.0)).derivative], "o", color="red", label="duals at x = 0 exactly")
ax.axvspan(-0.05, 0.05, color="gray", alpha=0.15)
ax.set(xlabel="x", ylabel="d|x|/dx", title="The derivative of |x| near its kink")
ax.legend(fontsize=8)
plt.show()

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
    {"question": "Which step h gives the smallest error for a forward difference in float64?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "about 1e-16, as small as possible", "correct": False,
          "feedback": "Round-off error eps/h explodes as h shrinks."},
         {"answer": "about 1e-8, near sqrt(machine epsilon)", "correct": True,
          "feedback": "Right: truncation h/2 |f''| balances round-off eps |f| / h there."},
         {"answer": "about 1e-3", "correct": False, "feedback": "Truncation error dominates there."}]},
    {"question": "You have samples of a measured curve with noise 0.01. Should you sample it "
                 "ten times more densely to get a better derivative with np.gradient?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "Not necessarily: the noise is divided by the spacing, so it grows", "correct": True,
          "feedback": "Right: noise plays the part of round-off, and a finer grid amplifies it."},
         {"answer": "Yes: a finer grid always gives a better derivative", "correct": False,
          "feedback": "Only the truncation error shrinks; the noise / h term grows."}]},
    {"question": "For x = Dual(2, 1), what is the derivative part of 1 / x?",
     "type": "numeric", "precision": 3,
     "answers": [{"type": "value", "value": -0.25, "correct": True,
                  "feedback": "Right: d/dx 1/x = -1/x**2 = -1/4."},
                 {"type": "value", "value": 0.5, "correct": False,
                  "feedback": "That is the value 1/2, not the derivative."},
                 {"type": "default", "feedback": "Use r/(u, v) = (r/u, -r v / u**2)."}]},
    {"question": "What is (u, v) * r for a real number r?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "(u r, v r)", "correct": True, "feedback": "Right: a constant factor scales the derivative."},
         {"answer": "(u r, v)", "correct": False, "feedback": "d/dx (r f) = r f', so the derivative is scaled too."},
         {"answer": "(u r, u v)", "correct": False, "feedback": "That mixes value and derivative."}]},
    {"question": "With scalar dual numbers (one derivative per pass), how many forward-mode passes give "
                 "the full gradient of a function of 1000 inputs?",
     "type": "numeric", "precision": 4,
     "answers": [{"type": "value", "value": 1000, "correct": True,
                  "feedback": "Right: one pass per input direction. Reverse mode needs one pass per output."},
                 {"type": "default", "feedback": "Each pass seeds one input with derivative 1."}]},
    {"question": "What does AD give for the derivative of sqrt(x * x) at x = 0?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "nan", "correct": True,
          "feedback": "Right: the inner derivative 0 times the outer 1/(2 sqrt 0) = inf is 0 * inf = nan."},
         {"answer": "0, the derivative of |x| there", "correct": False,
          "feedback": "|x| has no derivative at 0, and AD follows the program, not the function."},
         {"answer": "1", "correct": False, "feedback": "Follow the chain rule through sqrt(u) with u = x * x = 0."}]},
])

# %% [markdown]
# ## Summary
#
# - Finite differences trade truncation against round-off; at best they keep half (forward)
#   or two thirds (central) of the digits. On measured data, noise takes the place of
#   round-off, and `np.gradient` on a fine grid amplifies it.
# - Symbolic differentiation is exact but swells, and it needs a formula, not a program.
#   Much of the swell is repetition, which AD avoids by running the program.
# - A dual number $(u, v)$ carries a value and its derivative through every operation. The
#   rules are the rules of calculus, each with its chain factor; comparisons look at values,
#   so programs with branches run on duals too.
# - Forward-mode AD is exact to rounding, costs a small multiple of one evaluation, and
#   with scalar duals needs one pass per input.
# - Where there is no derivative, AD returns what the program computes: inf for $\sqrt{x}$
#   at 0, nan for $\sqrt{x\cdot x}$, and at a kink the derivative of the branch taken, a
#   convention that libraries choose differently.
#
# Next: carry dual numbers through an ODE solver and fit the parameters of an electric
# circuit.
