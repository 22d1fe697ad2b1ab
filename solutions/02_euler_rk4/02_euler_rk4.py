# %% [markdown]
# # 2. Fitting a circuit: dual numbers through an ODE solver
#
# *Automatic differentiation, from dual numbers to JAX* · notebook 2 of 6
#
# An RLC circuit (a resistor $R$, an inductor $L$ and a capacitor $C$ in series, driven by a
# constant voltage $E$) charges the capacitor along a damped oscillation. Given a measured
# charge curve, which $R$ and $L$ produced it? We answer by gradient descent, and we get the
# gradient by pushing dual numbers through the program that simulates the circuit.
#
# You will:
# 1. state the fitting problem and recall gradient descent with finite differences;
# 2. run an ODE solver on dual numbers, and seed its inputs correctly;
# 3. write `dloss`, the exact gradient of the loss, and fit $R$ and $L$ with it;
# 4. see that AD differentiates the *solver*, not the ODE, by comparing Euler and RK4, and
#    that forward mode through RK4 is RK4 on the sensitivity equations;
# 5. get both partial derivatives from one simulation with vector-valued duals.
#
# **How to work.** Run the cells from top to bottom. Cells marked *Exercise* contain
# `raise NotImplementedError(...)`: replace that line with your code. The cell after each
# exercise is a self-check; if an `assert` fails, its message tells you what to look at.
# Your notebook is graded by hidden tests that try your code on data you have not seen.

# %% readonly="setup"
import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from scipy.integrate import solve_ivp

# %% [markdown]
# ## Part 1. The problem
#
# The charge $Q(t)$ on the capacitor obeys
#
# $$L\,Q'' + R\,Q' + \frac{Q}{C} = E, \qquad Q(0) = Q'(0) = 0.$$
#
# ODE solvers want first-order systems, so we track the state $s = [Q', Q]$:
#
# $$\frac{d}{dt}\begin{bmatrix} Q' \\ Q \end{bmatrix}
#   = \begin{bmatrix} (E - R\,Q' - Q/C)\,/\,L \\ Q' \end{bmatrix}.$$
#
# Throughout, $C = 2$ and $E = 60$ are known, and we observe $Q$ at 200 evenly spaced times
# from $t = 0$ to $t = 200$. The unknowns are $R$ and $L$.

# %% readonly="model"
C = 2.0                              # capacitance (known)
E = 60.0                             # driving voltage (known, constant)
TIMES = np.linspace(0.0, 200.0, 200)  # the 200 observation times, t = 0 included
DT = TIMES[1] - TIMES[0]             # their spacing, 200/199
TRUE_R, TRUE_L = 1.0, 10.0           # what produced the measurements (pretend we do not know)


def rlc_rhs(state, R, L):
    """d/dt [Q', Q]. Only + - * /, so it works on floats, arrays and dual numbers alike."""
    dq, q = state[0], state[1]
    return np.array([(E - R * dq - q / C) / L, dq])


# %% [markdown]
# ### The measurements
#
# We make them with SciPy's adaptive solver `solve_ivp` at the true parameters, run with a
# tight tolerance, and add measurement noise with a standard deviation of 2.

# %% readonly="data"
_exact = solve_ivp(lambda t, s: rlc_rhs(s, TRUE_R, TRUE_L), (TIMES[0], TIMES[-1]), [0.0, 0.0],
                   t_eval=TIMES, method="DOP853", rtol=1e-10, atol=1e-10)
Qhat = _exact.y[1] + np.random.default_rng(2024).normal(0.0, 2.0, TIMES.size)

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(TIMES, Qhat, ".", ms=3, label="measured charge $\\hat Q$")
ax.plot(TIMES, _exact.y[1], lw=1, label="noise-free solution")
ax.axhline(C * E, color="gray", ls=":", lw=1, label="final charge $CE$")
ax.set(xlabel="t", ylabel="Q", title="The data to fit")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ### The solvers and the loss
#
# A solver turns the ODE into a loop. **Euler's method** takes the slope at the start of
# each step: $s_{n+1} = s_n + \Delta t\, f(s_n)$. **Classic RK4** samples the slope four
# times per step and combines the samples with weights $1, 2, 2, 1$ (over 6):
#
# $$k_1 = f(s_n),\; k_2 = f(s_n + \tfrac{\Delta t}{2}k_1),\; k_3 = f(s_n + \tfrac{\Delta t}{2}k_2),\;
#   k_4 = f(s_n + \Delta t\,k_3),\qquad s_{n+1} = s_n + \tfrac{\Delta t}{6}(k_1 + 2k_2 + 2k_3 + k_4).$$
#
# Its error shrinks like $\Delta t^4$ instead of $\Delta t$. Our model is RK4 with the step
# $\Delta t$ = `DT`, one step between two observation times.
#
# The **loss** compares the simulated charge with the data at all 200 times:
#
# $$\text{loss}(R, L) = \frac{1}{200}\sum_{i=0}^{199}\big(Q(t_i; R, L) - \hat Q_i\big)^2.$$
#
# The code below is plain arithmetic on whatever it is given. With NumPy arrays for `R`
# and `L`, it simulates many circuits at once (we use that to draw the loss landscape).

# %% readonly="solvers"
def euler_step(f, state, dt, R, L):
    """One step of Euler's method."""
    return state + dt * f(state, R, L)


def rk4_step(f, state, dt, R, L):
    """One step of the classic fourth-order Runge-Kutta method."""
    k1 = f(state, R, L)
    k2 = f(state + dt / 2 * k1, R, L)
    k3 = f(state + dt / 2 * k2, R, L)
    k4 = f(state + dt * k3, R, L)
    return state + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def simulate(step, R, L, state0, substeps=1):
    """Q at every time of TIMES (Q(0) included), taking `substeps` steps of DT / substeps between two."""
    dt = DT / substeps
    state = state0
    charges = [state[1]]
    for _ in range(len(TIMES) - 1):
        for _ in range(substeps):
            state = step(rlc_rhs, state, dt, R, L)
        charges.append(state[1])
    return np.array(charges)


def charge(R, L, step=rk4_step, substeps=1):
    """Q(t) in floats; R and L may be arrays of the same shape (one circuit per entry)."""
    R, L = np.asarray(R, dtype=float), np.asarray(L, dtype=float)
    return simulate(step, R, L, np.zeros((2,) + np.broadcast(R, L).shape), substeps)


def loss(R, L, Qhat, step=rk4_step, substeps=1):
    """Mean squared error over the 200 times (one value per circuit when R, L are arrays)."""
    Q = charge(R, L, step, substeps)
    return np.mean((Q - np.reshape(Qhat, (-1,) + (1,) * (Q.ndim - 1))) ** 2, axis=0)


# %% [markdown]
# At the true parameters, RK4 with this step already lies within a few thousandths of
# SciPy's accurate solution, far below the noise:

# %% tags=["demo"]
print(f"max |RK4 - solve_ivp| at the true parameters: {np.max(np.abs(charge(TRUE_R, TRUE_L) - _exact.y[1])):.3f}")
print(f"loss at the true parameters: {loss(TRUE_R, TRUE_L, Qhat):.3f}  (about the noise variance, 4)")
print(f"loss at R = 3, L = 6:        {loss(3.0, 6.0, Qhat):.1f}")

# %% [markdown]
# ## Part 2. Recap: gradient descent with finite differences
#
# Gradient descent walks downhill: $p \leftarrow p - \alpha\,\nabla\text{loss}(p)$ with
# $p = (R, L)$. The forward difference of notebook 1, *ahead minus here*, applied to one
# parameter at a time, estimates each partial derivative:
#
# $$\frac{\partial\,\text{loss}}{\partial R} \approx \frac{\text{loss}(R + h, L) - \text{loss}(R, L)}{h}.$$
#
# (Writing `loss(R) - loss(R + h)` flips the sign, and the descent then climbs.)

# %% tags=["demo"]
def fd_gradient(Qhat, R, L, h=1e-6):
    """Forward-difference estimate of [dloss/dR, dloss/dL] (three simulations)."""
    here = loss(R, L, Qhat)
    return np.array([(loss(R + h, L, Qhat) - here) / h,
                     (loss(R, L + h, Qhat) - here) / h])


def gradient_descent(grad, p0, alpha, n_iter):
    """All n_iter + 1 points of p <- p - alpha * grad(p), starting at p0."""
    path = [np.asarray(p0, dtype=float)]
    for _ in range(n_iter):
        path.append(path[-1] - alpha * grad(path[-1]))
    return np.array(path)


P0 = np.array([3.0, 6.0])  # the starting guess (R, L)
ALPHA, N_ITER = 4e-3, 60   # learning rate (below the stability limit, see Part 7) and steps
t0 = time.perf_counter()
path_fd = gradient_descent(lambda p: fd_gradient(Qhat, p[0], p[1]), P0, ALPHA, N_ITER)
seconds_fd = time.perf_counter() - t0
print(f"finite-difference descent: (R, L) = ({path_fd[-1, 0]:.4f}, {path_fd[-1, 1]:.4f}) "
      f"after {N_ITER} steps, loss {loss(*path_fd[-1], Qhat):.3f}, {seconds_fd:.1f} s")

# %% [markdown]
# ### The step $h$ and the learning rate $\alpha$ do different jobs
#
# Both are "small steps", but they answer different questions.
#
# - $h$ is a **measuring distance**: how far apart the two simulations are that estimate the
#   slope. It only affects how *accurate* the gradient is, through the truncation/round-off
#   trade-off of notebook 1. Any $h$ near the sweet spot gives nearly the same gradient.
# - $\alpha$ is a **walking distance**: how far to move once the slope is known. It decides
#   whether the descent *converges*. Too small and it crawls; too large and it overshoots
#   across the narrow valley of the loss and bounces.
#
# Below, changing $h$ by four orders of magnitude barely moves the gradient, while changing
# $\alpha$ by a factor of 10 changes everything. (The three descents run side by side, because
# `loss` accepts arrays.)

# %% tags=["demo"]
for h in [1e-3, 1e-5, 1e-7]:
    g = fd_gradient(Qhat, *P0, h=h)
    print(f"h = {h:.0e}: gradient at the start = [{g[0]:.6f}, {g[1]:.6f}]")

alphas = np.array([1e-3, ALPHA, 1e-2])
paths = gradient_descent(lambda p: fd_gradient(Qhat, p[0], p[1]), np.tile(P0[:, None], (1, 3)), alphas, 30)
fig, ax = plt.subplots(figsize=(6, 3.5))
for j, a in enumerate(alphas):
    ax.semilogy(loss(paths[:, 0, j], paths[:, 1, j], Qhat), label=f"$\\alpha$ = {a:g}")
ax.set(xlabel="iteration", ylabel="loss", title="Same gradients, different learning rates")
ax.legend()
plt.show()

# %% [markdown]
# ## Part 3. Dual numbers through a solver
#
# `solve_ivp` converts the initial state, and every slope it is given, to an array of
# floats (and chooses its steps from those values), so dual numbers cannot pass through it.
# Our solvers are written in Python with `+ - * /` only, so they can.
#
# Here is a complete `Dual` class (you wrote one in notebook 1). It is written so that the
# derivative part may be a float **or a NumPy array**; we need the array case in Part 6.
# The helper `values_and_derivatives` unpacks a sequence of duals into two float arrays.

# %% readonly="dual"
class Dual:
    """A dual number value + derivative * eps, with eps**2 = 0.

    `derivative` may be a float or a NumPy array (one entry per input direction).
    """

    __slots__ = ("value", "derivative")

    def __init__(self, value, derivative=0.0):
        self.value = value
        self.derivative = derivative

    def __repr__(self):
        return f"Dual({self.value!r}, {self.derivative!r})"

    # A NumPy array on the other side is handled by NumPy, one element at a time.
    def __add__(self, other):
        if isinstance(other, Dual):
            return Dual(self.value + other.value, self.derivative + other.derivative)
        if isinstance(other, np.ndarray):
            return NotImplemented
        return Dual(self.value + other, self.derivative)

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, Dual):
            return Dual(self.value - other.value, self.derivative - other.derivative)
        if isinstance(other, np.ndarray):
            return NotImplemented
        return Dual(self.value - other, self.derivative)

    def __rsub__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        return Dual(other - self.value, -self.derivative)

    def __neg__(self):
        return Dual(-self.value, -self.derivative)

    def __mul__(self, other):
        if isinstance(other, Dual):
            return Dual(self.value * other.value,
                        self.derivative * other.value + self.value * other.derivative)
        if isinstance(other, np.ndarray):
            return NotImplemented
        return Dual(self.value * other, self.derivative * other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, Dual):
            return Dual(self.value / other.value,
                        (self.derivative * other.value - self.value * other.derivative) / other.value ** 2)
        if isinstance(other, np.ndarray):
            return NotImplemented
        return Dual(self.value / other, self.derivative / other)

    def __rtruediv__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        return Dual(other / self.value, -other * self.derivative / self.value ** 2)

    def __pow__(self, p):
        return Dual(self.value ** p, p * self.value ** (p - 1) * self.derivative)

    def exp(self):
        return Dual(np.exp(self.value), np.exp(self.value) * self.derivative)

    def sqrt(self):
        return Dual(np.sqrt(self.value), self.derivative / (2 * np.sqrt(self.value)))


def values_and_derivatives(duals):
    """Two float arrays from a sequence of duals: their values and their derivatives."""
    return np.array([d.value for d in duals]), np.array([d.derivative for d in duals])


# %% [markdown]
# Three Euler steps with $R$ as a dual number ($L$ stays a plain float: a constant). Each
# state is a NumPy array of two duals: $[Q', Q]$ and their derivatives with respect to $R$.
# After the first step the derivatives are still 0, because no current had flowed through
# the resistor yet; $Q$ feels $R$ one step later than $Q'$ does.

# %% tags=["demo"]
R = Dual(1.5, 1.0)
state = np.array([Dual(0.0, 0.0), Dual(0.0, 0.0)])
for n in range(3):
    state = euler_step(rlc_rhs, state, DT, R, 8.0)
    print(f"after step {n + 1}: Q' = {state[0]},  Q = {state[1]}")

# %% [markdown]
# ### Seeding: which inputs get derivative 1?
#
# A dual number's derivative part answers "how does this quantity change when the input I
# am differentiating by changes?". So before the simulation, each input gets its derivative
# with respect to, say, $R$:
#
# - $R$ itself: $dR/dR = 1$, so `Dual(R, 1)`;
# - $L$: it does not move when $R$ does, so `Dual(L, 0)`;
# - the initial state $[Q'(0), Q(0)] = [0, 0]$: the circuit starts uncharged **whatever
#   $R$ is**, so its derivative is 0 as well: `Dual(0, 0)`, twice.
#
# Seeding the initial state with `Dual(0, 1)` is a classic mistake. It claims that raising
# $R$ also raises the starting current and charge, so every later $dQ/dR$ carries a
# spurious extra response to that imaginary kick. The first entry gives it away:
# $Q(0) = 0$ for every $R$, so $dQ(0)/dR$ must be 0.

# %% [markdown]
# ### Exercise `seeding`
#
# Write `seed_inputs(R, L, wrt)`. It returns the tuple `(R_dual, L_dual, state0)`, ready for
# one simulation that differentiates with respect to `wrt`, which is `"R"` or `"L"`:
# `R_dual` and `L_dual` are `Dual`s whose derivative is `1.0` or `0.0`, and `state0` is a
# NumPy array of two `Dual`s, $[Q'(0), Q(0)]$.

# %% answer="seeding"
def seed_inputs(R, L, wrt):
    """(Dual R, Dual L, initial state as an array of two Duals), seeded for d/d`wrt`."""
    ### BEGIN SOLUTION
    if wrt not in ("R", "L"):
        raise ValueError(f"wrt should be 'R' or 'L', got {wrt!r}")
    R_dual = Dual(R, 1.0 if wrt == "R" else 0.0)
    L_dual = Dual(L, 1.0 if wrt == "L" else 0.0)
    state0 = np.array([Dual(0.0, 0.0), Dual(0.0, 0.0)])  # [Q'(0), Q(0)] does not depend on R or L
    return R_dual, L_dual, state0
    ### END SOLUTION


# %% test="test_seeding"
for wrt in ("R", "L"):
    R_d, L_d, state0 = seed_inputs(1.5, 8.0, wrt)
    assert all(isinstance(d, Dual) for d in (R_d, L_d, *state0)) and len(state0) == 2, (
        "seed_inputs should return (R_dual, L_dual, state0), with state0 an array of two Duals")
    assert (R_d.value, L_d.value) == (1.5, 8.0), "the values of R_dual and L_dual should be R and L"
    want = (1.0, 0.0) if wrt == "R" else (0.0, 1.0)
    assert (R_d.derivative, L_d.derivative) == want, (
        f"for wrt = {wrt!r}, (R_dual.derivative, L_dual.derivative) should be {want}, "
        f"got {(R_d.derivative, L_d.derivative)}: seed 1 on the parameter you differentiate by, 0 on the other")
    for name, s in zip(["Q'(0)", "Q(0)"], state0):
        assert s.value == 0.0, f"the circuit starts at rest: {name} should have value 0, got {s.value}"
        assert s.derivative == 0.0, (
            f"{name} should have derivative 0, got {s.derivative}. The circuit starts at Q' = Q = 0 "
            f"whatever {wrt} is, so d{name}/d{wrt} = 0. Seeding it with 1 pretends that changing "
            f"{wrt} changes the starting state, and every later dQ/d{wrt} inherits that error.")
### BEGIN HIDDEN TESTS
from autograder.probes.euler_rk4 import probe_seeding

probe_seeding(seed_inputs)
### END HIDDEN TESTS

# %% [markdown]
# ### Seeing the seeding mistake
#
# A whole Euler simulation on duals gives $Q(t)$ and $dQ/dR$ at every time. We check it
# against central differences of the same Euler simulation, and compare with the wrong
# seeding `Dual(0, 1)` for the initial state.

# %% tags=["demo"]
R_d, L_d, state0 = seed_inputs(1.5, 8.0, "R")
Q, dQdR = values_and_derivatives(simulate(euler_step, R_d, L_d, state0))
wrong_state0 = np.array([Dual(0.0, 1.0), Dual(0.0, 1.0)])
_, dQdR_wrong = values_and_derivatives(simulate(euler_step, R_d, L_d, wrong_state0))
h = 1e-6
dQdR_fd = (charge(1.5 + h, 8.0, euler_step) - charge(1.5 - h, 8.0, euler_step)) / (2 * h)
assert np.allclose(dQdR, dQdR_fd, rtol=0, atol=1e-6 * np.max(np.abs(dQdR_fd)))

early = TIMES <= 60
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.5), layout="constrained")
ax1.plot(TIMES[early], dQdR[early], label="duals, state seeded Dual(0, 0)")
ax1.plot(TIMES[early][::2], dQdR_fd[early][::2], "o", ms=3, label="central differences")
ax1.plot(TIMES[early], dQdR_wrong[early], "--", label="duals, state seeded Dual(0, 1)")
ax1.set(xlabel="t", ylabel="dQ/dR", title="Euler at R = 1.5, L = 8: dQ/dR for t up to 60")
ax1.legend(fontsize=8)
ax2.plot(TIMES, dQdR_wrong - dQdR, color="C2")
ax2.axhline(0, color="gray", lw=0.5)
ax2.set(xlabel="t", ylabel="wrong minus right", title="The error the wrong seeding adds to dQ/dR")
plt.show()
print(f"dQ/dR at t = 0: right seeding {dQdR[0]:g}, wrong seeding {dQdR_wrong[0]:g}")
print(f"dloss/dR: right seeding {2 * np.mean((Q - Qhat) * dQdR):.4f}, "
      f"wrong seeding {2 * np.mean((Q - Qhat) * dQdR_wrong):.4f}")

# %% [markdown]
# The wrong seeding adds the circuit's response to a kick it never received: it starts at 1,
# rings, and dies out with the damping. It is small next to $dQ/dR$ itself, which makes it
# easy to miss by eye, yet it moves $\partial\,\text{loss}/\partial R$ by about ten per cent
# here: far beyond rounding, and the hidden tests notice.

# %% [markdown]
# ## Part 4. The exact gradient of the loss
#
# ### Exercise `dual_charge`
#
# Write `dual_charge(R, L, wrt)`. It runs **one** RK4 simulation on dual numbers, seeded with
# your `seed_inputs`, and returns a tuple of two float NumPy arrays of shape `(200,)`: the
# charge $Q(t_i)$ and its derivative $dQ(t_i)/d\,$`wrt`, at every time including $t = 0$.
#
# Use `simulate(rk4_step, ...)` from Part 1 and `values_and_derivatives` from Part 3.

# %% answer="dual_charge"
def dual_charge(R, L, wrt):
    """(Q, dQ/d`wrt`) at all 200 times from one dual-number RK4 simulation."""
    ### BEGIN SOLUTION
    R_dual, L_dual, state0 = seed_inputs(R, L, wrt)
    return values_and_derivatives(simulate(rk4_step, R_dual, L_dual, state0))
    ### END SOLUTION


# %% test="test_dual_charge"
for wrt in ("R", "L"):
    Q, dQ = dual_charge(1.5, 8.0, wrt)
    assert np.shape(Q) == (200,) and np.shape(dQ) == (200,), (
        f"dual_charge should return two arrays of 200 floats, got shapes {np.shape(Q)} and {np.shape(dQ)}")
    assert np.allclose(Q, charge(1.5, 8.0), rtol=1e-12, atol=1e-10), (
        "Q should equal the float RK4 simulation charge(1.5, 8.0): use simulate(rk4_step, ...)")
    assert dQ[0] == 0.0, f"dQ/d{wrt} at t = 0 should be 0 (Q(0) = 0 for every {wrt}), got {dQ[0]}: check seed_inputs"
    h = 1e-6
    up = charge(1.5 + h, 8.0) if wrt == "R" else charge(1.5, 8.0 + h)
    down = charge(1.5 - h, 8.0) if wrt == "R" else charge(1.5, 8.0 - h)
    fd = (up - down) / (2 * h)
    assert np.allclose(dQ, fd, rtol=0, atol=1e-6 * np.max(np.abs(fd))), (
        f"dQ/d{wrt} disagrees with central differences (largest gap {np.max(np.abs(dQ - fd)):.3g}): "
        "check the seeding and that you step with rk4_step")
### BEGIN HIDDEN TESTS
from autograder.probes.euler_rk4 import probe_dual_charge

probe_dual_charge(dual_charge)
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise `dloss`
#
# The loss is a mean of squares, so by the chain rule
#
# $$\frac{\partial\,\text{loss}}{\partial R} = \frac{2}{200}\sum_{i=0}^{199}\big(Q(t_i) - \hat Q_i\big)\,\frac{\partial Q(t_i)}{\partial R},$$
#
# and the same with $L$. Write `dloss(Qhat, R, L)`, returning the float NumPy array
# `[dloss/dR, dloss/dL]` (shape `(2,)`) for the loss of Part 1 (RK4, all 200 times, the mean
# over all 200).
#
# The derivatives must come from dual numbers (your `dual_charge` is the natural start), not
# from finite differences. Do not use JAX, PyTorch, autograd, TensorFlow or SymPy, in this
# cell or through a helper it calls (the grader records which libraries run while `dloss`
# works): an answer that does earns no points.

# %% answer="dloss"
def dloss(Qhat, R, L):
    """[dloss/dR, dloss/dL] of mean((Q(R, L) - Qhat)**2), with dual numbers through RK4."""
    ### BEGIN SOLUTION
    grad = []
    for wrt in ("R", "L"):
        Q, dQ = dual_charge(R, L, wrt)
        grad.append(2 * np.mean((Q - Qhat) * dQ))
    return np.array(grad)
    ### END SOLUTION


# %% test="test_dloss"
got = dloss(Qhat, 1.5, 8.0)
assert isinstance(got, np.ndarray) and got.shape == (2,) and got.dtype.kind == "f", (
    f"dloss should return a float NumPy array [dloss/dR, dloss/dL], got {got!r}")
h = 1e-5
fd = np.array([(loss(1.5 + h, 8.0, Qhat) - loss(1.5 - h, 8.0, Qhat)) / (2 * h),
               (loss(1.5, 8.0 + h, Qhat) - loss(1.5, 8.0 - h, Qhat)) / (2 * h)])
hint = ("it is half the right size: d/dQ (Q - Qhat)**2 = 2 (Q - Qhat)" if np.allclose(2 * got, fd, rtol=1e-5)
        else "it is 200 times too large: take the mean over the 200 times, not the sum" if np.allclose(got / 200, fd, rtol=1e-5)
        else "the sign is flipped: the residual is Q - Qhat" if np.allclose(-got, fd, rtol=1e-5)
        else "the two components are swapped: return [dloss/dR, dloss/dL]" if np.allclose(got[::-1], fd, rtol=1e-5)
        else "check dual_charge (seeding, rk4_step) and the formula above")
assert np.allclose(got, fd, rtol=1e-5), f"dloss(Qhat, 1.5, 8) should be close to {fd}, got {got}: {hint}"
### BEGIN HIDDEN TESTS
from autograder.probes.euler_rk4 import probe_dloss

probe_dloss(dloss)
### END HIDDEN TESTS

# %% [markdown]
# ### A second opinion: JAX
#
# Central differences agree with `dloss` to 9 or 10 digits at best (round-off, notebook 1).
# For a check to rounding, we differentiate the same RK4 loss with JAX in float64
# (notebook 4 explains `jax.grad` and `lax.scan`; here it is just a trusted reference). The
# last two columns give the largest relative gap of JAX and of central differences
# (step $10^{-5}$) to your dual numbers.

# %% tags=["demo"]
import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)


def jax_loss(R, L, Qhat):
    def step(state, _):
        f = lambda s: jnp.stack([(E - R * s[0] - s[1] / C) / L, s[0]])  # noqa: E731
        k1 = f(state)
        k2 = f(state + DT / 2 * k1)
        k3 = f(state + DT / 2 * k2)
        k4 = f(state + DT * k3)
        new = state + DT / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return new, new[1]

    _, qs = jax.lax.scan(step, jnp.zeros(2), None, length=len(TIMES) - 1)
    return jnp.mean((jnp.concatenate([jnp.zeros(1), qs]) - Qhat) ** 2)


jax_dloss = jax.jit(jax.grad(jax_loss, argnums=(0, 1)))

def relative_gap(a, b):
    return np.max(np.abs(a - b) / np.abs(b))


h = 1e-5
print(f"{'(R, L)':<13}{'dual numbers':<35}{'JAX':<35}{'JAX gap':>8}{'c.d. gap':>10}")
for R0, L0 in [(1.5, 8.0), (0.7, 14.0), (2.5, 5.5)]:
    by_dual = dloss(Qhat, R0, L0)
    by_jax = np.array(jax_dloss(R0, L0, Qhat))
    by_fd = np.array([(loss(R0 + h, L0, Qhat) - loss(R0 - h, L0, Qhat)) / (2 * h),
                      (loss(R0, L0 + h, Qhat) - loss(R0, L0 - h, Qhat)) / (2 * h)])
    assert relative_gap(by_jax, by_dual) < 1e-10, f"dual numbers and JAX disagree at {(R0, L0)}"
    print(f"{str((R0, L0)):<13}{np.array2string(by_dual, precision=10):<35}"
          f"{np.array2string(by_jax, precision=10):<35}{relative_gap(by_jax, by_dual):>8.0e}"
          f"{relative_gap(by_fd, by_dual):>10.0e}")

# %% [markdown]
# ### Gradient descent with the exact gradient
#
# Same start, same $\alpha$, same number of steps as the finite-difference descent of Part 2.

# %% tags=["demo"]
t0 = time.perf_counter()
path_ad = gradient_descent(lambda p: dloss(Qhat, p[0], p[1]), P0, ALPHA, N_ITER)
seconds_ad = time.perf_counter() - t0
print(f"dual-number descent: (R, L) = ({path_ad[-1, 0]:.4f}, {path_ad[-1, 1]:.4f}), "
      f"loss {loss(*path_ad[-1], Qhat):.3f}, {seconds_ad:.1f} s (finite differences: {seconds_fd:.1f} s)")
print(f"largest gap to the finite-difference path: {np.max(np.abs(path_ad - path_fd)):.1e}")

# %% [markdown]
# Here the two paths agree to about six digits: a well-chosen forward difference is accurate
# enough for gradient descent on a smooth two-parameter problem. What dual numbers add is
# **certainty**: no $h$ to tune, and a gradient that is right to rounding wherever you
# evaluate it. The price, in pure Python, is speed: a dual-number simulation is a few times
# slower than a float one, so the dual-number descent takes longer although it needs two
# simulations per step instead of three (compare the two timings above). Compiled AD (JAX,
# notebook 4) removes that cost.
#
# The fit lands near $(1, 10)$, not exactly on it, for two reasons. The data are noisy, so
# the best fit is whatever explains *these* measurements best: about $(1.003, 9.95)$. And 60
# steps have not quite crept to the end of the loss valley (Part 7 shows why).
#
# ## Part 5. AD differentiates the solver, not the ODE
#
# Dual numbers return the exact derivative of the *program* they run through. Here that
# program is a discretisation of the ODE with step $\Delta t$, so they give the gradient of
# the discretised loss, which is only an approximation of the gradient of the ODE's loss.
#
# To see it, we shrink the solver step, taking $n$ substeps of $\Delta t / n$ between two
# observation times, and compare each gradient with the gradient of the ODE itself. That
# one comes from the **forward sensitivity equations**: differentiate the ODE with respect
# to $R$ and $L$, and solve the enlarged system accurately with `solve_ivp`.

# %% tags=["demo"]
def dual_gradient(step, Qhat, R, L, substeps):
    """dloss by dual numbers through `step` with DT / substeps (one simulation per parameter)."""
    grad = []
    for wrt in ("R", "L"):
        R_d, L_d, state0 = seed_inputs(R, L, wrt)
        Q, dQ = values_and_derivatives(simulate(step, R_d, L_d, state0, substeps))
        grad.append(2 * np.mean((Q - Qhat) * dQ))
    return np.array(grad)


def sensitivity_rhs(y, R, L):
    """d/dt of [Q', Q, dQ'/dR, dQ/dR, dQ'/dL, dQ/dL]: the ODE and its derivatives by R and L."""
    dq, q, dq_R, q_R, dq_L, q_L = y
    acc = (E - R * dq - q / C) / L
    return np.array([acc, dq,
                     (-dq - R * dq_R - q_R / C) / L, dq_R,
                     -acc / L + (-R * dq_L - q_L / C) / L, dq_L])


def ode_gradient(Qhat, R, L):
    """dloss of the ODE itself, from the sensitivity equations solved accurately."""
    y = solve_ivp(lambda t, y: sensitivity_rhs(y, R, L), (TIMES[0], TIMES[-1]), np.zeros(6), t_eval=TIMES,
                  method="DOP853", rtol=1e-13, atol=1e-12).y
    return np.array([2 * np.mean((y[1] - Qhat) * y[3]), 2 * np.mean((y[1] - Qhat) * y[5])])


R0, L0 = 1.2, 9.0
exact = ode_gradient(Qhat, R0, L0)
substeps = [1, 2, 4, 8, 16]
errors = {}
for name, step in [("Euler", euler_step), ("RK4", rk4_step)]:
    grads = np.array([dual_gradient(step, Qhat, R0, L0, n) for n in substeps])
    errors[name] = np.abs(grads - exact) / np.abs(exact)
    if name == "Euler":
        euler_grad = grads[0]

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True, layout="constrained")
dts = DT / np.array(substeps)
for k, (ax, p) in enumerate(zip(axes, "RL")):
    for name, marker in [("Euler", "o-"), ("RK4", "s-")]:
        ax.loglog(dts, errors[name][:, k], marker, label=name)
    ax.loglog(dts, errors["Euler"][-1, k] * dts / dts[-1], "k:", lw=1, label=r"$\propto \Delta t$")
    ax.loglog(dts, errors["RK4"][-1, k] * (dts / dts[-1]) ** 4, "k--", lw=1, label=r"$\propto \Delta t^4$")
    ax.set(xlabel=r"solver step $\Delta t$", title=f"d loss / d{p}")
axes[0].set_ylabel("relative error vs. the ODE's gradient")
axes[0].legend(fontsize=8)
fig.suptitle(f"Dual-number gradients of the discretised loss at R = {R0}, L = {L0}")
plt.show()

# %% [markdown]
# With the step of our data, Euler's gradient is not even close: its $\partial/\partial R$
# has the **wrong sign**. Yet dual numbers did nothing wrong. Central differences of the
# *Euler* loss give the same numbers:

# %% tags=["demo"]
h = 1e-6
euler_fd = np.array([(loss(R0 + h, L0, Qhat, euler_step) - loss(R0 - h, L0, Qhat, euler_step)) / (2 * h),
                     (loss(R0, L0 + h, Qhat, euler_step) - loss(R0, L0 - h, Qhat, euler_step)) / (2 * h)])
assert np.allclose(euler_grad, euler_fd, rtol=1e-6)
print("gradient of the ODE's loss:               ", exact)
print("duals through Euler, dt = DT:             ", euler_grad)
print("central differences of the Euler loss:    ", euler_fd)

# %% [markdown]
# The error is the solver's: AD is exact for the program, and the program is only as good
# as its discretisation. Euler's error falls like $\Delta t$, RK4's like $\Delta t^4$. At
# our step RK4 is already within a few parts in $10^4$ of the ODE gradient; Euler would
# need thousands of times more steps to do as well. Fitting with Euler would find the best
# parameters *of the Euler model* (you will see where they are on the landscape in Part 7).
#
# ### Why the gradient's error falls like the solver's
#
# Follow the derivative parts through one RK4 step with $R$ as a dual. Each stage
# $k_i = f(s + c\,\Delta t\, k_{i-1})$ carries the derivative
# $\kappa_i = \frac{\partial f}{\partial s}\,(\sigma + c\,\Delta t\,\kappa_{i-1}) + \frac{\partial f}{\partial R}$,
# where $\sigma = \partial s/\partial R$, and the step combines them with the same weights
# $1, 2, 2, 1$. That is, stage for stage, RK4 applied to the **forward sensitivity
# equations** $\dot\sigma = \frac{\partial f}{\partial s}\sigma + \frac{\partial f}{\partial R}$,
# solved together with the state (`sensitivity_rhs` above, the right-hand side that gave
# us the ODE's gradient). So forward mode through an explicit Runge-Kutta method *is* that
# method on the sensitivity equations, with the same step: the dual-number gradient
# inherits RK4's $\Delta t^4$ error, and Euler's $\Delta t$. The same numbers, two ways:

# %% tags=["demo"]
augmented = np.zeros(6)
sensitivities = [augmented]
for _ in range(len(TIMES) - 1):
    augmented = rk4_step(sensitivity_rhs, augmented, DT, R0, L0)   # float RK4 on the six equations
    sensitivities.append(augmented)
sensitivities = np.array(sensitivities)
for k, wrt in [(3, "R"), (5, "L")]:
    by_dual = dual_charge(R0, L0, wrt)[1]
    gap = np.max(np.abs(sensitivities[:, k] - by_dual)) / np.max(np.abs(by_dual))
    assert gap < 1e-12, f"RK4 on the sensitivity equations and dual numbers differ by {gap:.1e}"
    print(f"dQ/d{wrt}: RK4 on the sensitivity equations and duals through RK4 differ by {gap:.0e} "
          "of the largest value")

# %% [markdown]
# ## Part 6. Vector duals: one simulation, both derivatives
#
# So far each partial derivative cost one simulation. But nothing in `Dual` requires the
# derivative to be a single number. Make it a NumPy array with one entry per parameter:
#
# - $R \to$ `Dual(R, [1, 0])`, $L \to$ `Dual(L, [0, 1])`, initial state `Dual(0, [0, 0])`;
# - the rules $(u, v) \cdot (w, z) = (uw,\; vw + uz)$ and so on work unchanged, with $v, z$
#   vectors;
# - at the end, `Q.derivative` is $[\partial Q/\partial R, \partial Q/\partial L]$.
#
# The seeds $[1, 0]$ and $[0, 1]$ are the unit vectors of the two parameters: each entry of
# a derivative part answers "how does this change when *that* parameter changes?".
#
# ### Exercise `dloss_vector`
#
# Write `dloss_vector(Qhat, R, L)`. It returns the same float array `[dloss/dR, dloss/dL]`
# as `dloss`, from **one** RK4 simulation on duals whose derivative parts are NumPy arrays
# of two numbers, seeded as above (`simulate` and `values_and_derivatives` work unchanged:
# `dQ` comes out with shape `(200, 2)`). The rule of `dloss` holds here too: dual numbers,
# without finite differences, and do not use JAX, PyTorch, autograd, TensorFlow or SymPy, in
# this cell or through a helper it calls. The grader also counts the duals your code makes: one
# simulation per parameter (calling `dloss`, or `dual_charge` twice) does not count.

# %% answer="dloss_vector"
def dloss_vector(Qhat, R, L):
    """[dloss/dR, dloss/dL] from ONE dual-number RK4 simulation with vector derivatives."""
    ### BEGIN SOLUTION
    state0 = np.array([Dual(0.0, np.zeros(2)), Dual(0.0, np.zeros(2))])
    charges = simulate(rk4_step, Dual(R, np.array([1.0, 0.0])), Dual(L, np.array([0.0, 1.0])), state0)
    Q, dQ = values_and_derivatives(charges)          # dQ has shape (200, 2)
    return 2 * np.mean((Q - Qhat)[:, None] * dQ, axis=0)
    ### END SOLUTION


# %% test="test_dloss_vector"
got = dloss_vector(Qhat, 1.5, 8.0)
assert isinstance(got, np.ndarray) and got.shape == (2,) and got.dtype.kind == "f", (
    f"dloss_vector should return a float NumPy array [dloss/dR, dloss/dL], got {got!r}: "
    "average over the times with axis=0")
h = 1e-5  # a second opinion that does not depend on your dloss
fd = np.array([(loss(1.5 + h, 8.0, Qhat) - loss(1.5 - h, 8.0, Qhat)) / (2 * h),
               (loss(1.5, 8.0 + h, Qhat) - loss(1.5, 8.0 - h, Qhat)) / (2 * h)])
assert np.allclose(got, fd, rtol=1e-5), (
    f"dloss_vector(Qhat, 1.5, 8) should be close to the central differences {fd}, got {got}"
    + (": the two entries are swapped; seed R with [1, 0] and L with [0, 1]" if np.allclose(got[::-1], fd, rtol=1e-5)
       else ": check the seeds: R gets [1, 0], L gets [0, 1], the initial state Dual(0.0, np.zeros(2))"))
### BEGIN HIDDEN TESTS
from autograder.probes.euler_rk4 import probe_dloss_vector

probe_dloss_vector(dloss_vector, Dual)
### END HIDDEN TESTS

# %% [markdown]
# Both partial derivatives, from one simulation. The hidden test also checks they agree with
# exact forward mode to rounding, which no finite difference does.

# %% [markdown]
# Is one vector simulation faster than two scalar ones? Let us measure (best of 3 runs).

# %% tags=["demo"]
def best_time(fn, repeats=3):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


t_two = best_time(lambda: dloss(Qhat, 1.5, 8.0))
t_one = best_time(lambda: dloss_vector(Qhat, 1.5, 8.0))
print(f"two scalar simulations: {1e3 * t_two:.0f} ms;  one vector simulation: {1e3 * t_one:.0f} ms;  "
      f"speed-up {t_two / t_one:.2f}x")

# %% [markdown]
# Probably not much, if at all. A vector simulation computes the *values* once instead of
# twice, but in Python each dual operation costs mostly interpreter overhead, and an
# operation on a small NumPy array costs more than one on a float. With two parameters the
# saving and the extra cost roughly cancel.
#
# The saving grows with the number of directions. The circuit has six inputs we could
# differentiate by: $R$, $L$, $C$, $E$ and the two initial values $Q'(0)$, $Q(0)$. For the
# last two, seeding the initial state with 1 is exactly right, because now the initial state
# *is* the input. Below, $k$ scalar simulations against one vector simulation with
# $k$-entry derivatives, and a check of all six sensitivities against central differences.

# %% tags=["demo"]
def charge_six(R, L, Cap, Emf, dq0, q0):
    """Q(t) by RK4 with all six inputs as arguments (floats, or duals)."""
    def rhs(state, R, L):
        return np.array([(Emf - R * state[0] - state[1] / Cap) / L, state[0]])

    state = np.array([dq0, q0])
    charges = [state[1]]
    for _ in range(len(TIMES) - 1):
        state = rk4_step(rhs, state, DT, R, L)
        charges.append(state[1])
    return np.array(charges)


inputs6 = np.array([1.5, 8.0, C, E, 0.0, 0.0])


def sensitivities_scalar(k):
    """dQ/d(first k inputs), one scalar-dual simulation per input."""
    out = []
    for i in range(k):
        args = [Dual(x, 1.0 if j == i else 0.0) for j, x in enumerate(inputs6)]
        out.append(values_and_derivatives(charge_six(*args))[1])
    return np.array(out).T


def sensitivities_vector(k):
    """dQ/d(first k inputs) from one simulation with k-entry derivatives."""
    seeds = np.eye(6)[:, :k]
    return values_and_derivatives(charge_six(*[Dual(x, seeds[j]) for j, x in enumerate(inputs6)]))[1]


S = sensitivities_vector(6)
assert np.allclose(S, sensitivities_scalar(6), rtol=1e-12, atol=1e-12)
h = 1e-6
for j in range(6):
    up, down = inputs6.copy(), inputs6.copy()
    up[j] += h
    down[j] -= h
    fd = (charge_six(*up) - charge_six(*down)) / (2 * h)
    assert np.allclose(S[:, j], fd, rtol=0, atol=1e-6 * np.max(np.abs(fd)) + 1e-9)

ks = np.array([1, 2, 4, 6])
t_scalar = np.array([best_time(lambda: sensitivities_scalar(k), 2) for k in ks])
t_vector = np.array([best_time(lambda: sensitivities_vector(k), 2) for k in ks])

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(ks, 1e3 * t_scalar, "o-", label="k scalar-dual simulations")
ax.plot(ks, 1e3 * t_vector, "s-", label="one vector-dual simulation")
ax.set(xlabel="number of inputs k", ylabel="time (ms)", ylim=(0, None),
       title="Forward mode: k derivatives of 200 charges")
ax.legend()
plt.show()
print("speed-up of one vector simulation over k scalar ones:",
      ", ".join(f"k={k}: {s:.1f}x" for k, s in zip(ks, t_scalar / t_vector)))

# %% [markdown]
# The scalar cost grows in proportion to $k$; the vector cost grows much more slowly, since
# the values are computed once and each derivative array is handled in one NumPy call. (For
# $k = 1$ the vector version is slower: it pays for the arrays and saves nothing.)
# Either way, forward mode still does work proportional to the number of inputs in its
# derivative arrays. For thousands of inputs and one loss, reverse mode (next notebook) is
# cheaper, because its cost is proportional to the number of *outputs*.
#
# ## Part 7. Pictures
#
# ### The loss landscape and the descent
#
# `loss` accepts arrays, so one vectorised simulation evaluates it on a whole grid of
# $(R, L)$. Move the slider to follow the dual-number descent of Part 4: the left panel shows
# where it is, the right one the charge curve it predicts.

# %% tags=["demo"]
Rs, Ls = np.linspace(0.3, 3.5, 81), np.linspace(4.0, 16.0, 81)
RG, LG = np.meshgrid(Rs, Ls)
landscape = loss(RG, LG, Qhat)
landscape_euler = loss(RG, LG, Qhat, euler_step)
i_euler = np.unravel_index(np.argmin(landscape_euler), landscape_euler.shape)
euler_best = (RG[i_euler], LG[i_euler])
losses_ad = loss(path_ad[:, 0], path_ad[:, 1], Qhat)


def show_descent(iteration):
    R_i, L_i = path_ad[iteration]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    cs = ax1.contourf(Rs, Ls, np.log10(landscape), levels=30, cmap="viridis")
    fig.colorbar(cs, ax=ax1, label="log10 loss")
    ax1.plot(path_ad[: iteration + 1, 0], path_ad[: iteration + 1, 1], "w.-", ms=3, lw=1)
    ax1.plot(R_i, L_i, "o", color="red", ms=8, label=f"step {iteration}")
    ax1.plot(TRUE_R, TRUE_L, "*", color="orange", ms=12, label="true (1, 10)")
    ax1.plot(*euler_best, "X", color="magenta", ms=9, label="best fit with Euler")
    ax1.set(xlabel="R", ylabel="L", title="loss landscape (RK4)")
    ax1.legend(fontsize=7, loc="upper right")
    ax2.plot(TIMES, Qhat, ".", ms=3, color="gray", label="data")
    ax2.plot(TIMES, charge(R_i, L_i), color="red", label=f"RK4 at R = {R_i:.3f}, L = {L_i:.3f}")
    ax2.set(xlabel="t", ylabel="Q", ylim=(-10, 260), title=f"loss = {losses_ad[iteration]:.2f}")
    ax2.legend(fontsize=8, loc="lower right")
    plt.show()


step_slider = widgets.IntSlider(value=0, min=0, max=N_ITER, step=1, description="iteration")
display(widgets.VBox([step_slider, widgets.interactive_output(show_descent, {"iteration": step_slider})]))

# %% [markdown]
# The valley is narrow in $R$ and long in $L$. The magenta cross marks where a fit with
# Euler's method would end up: the best parameters of the wrong model.
#
# How much narrower? The curvatures of the loss are the eigenvalues of its Hessian, the
# matrix of second derivatives. Central differences of the exact gradient `dloss` give it:

# %% tags=["demo"]
h = 1e-4
hessian = np.array([(dloss(Qhat, TRUE_R + h * e[0], TRUE_L + h * e[1])
                     - dloss(Qhat, TRUE_R - h * e[0], TRUE_L - h * e[1])) / (2 * h) for e in np.eye(2)])
assert np.isclose(hessian[0, 1], hessian[1, 0], rtol=1e-4), "a Hessian is symmetric"
along, across = np.linalg.eigvalsh(hessian)
print(f"Hessian of the loss at (R, L) = (1, 10): [[{hessian[0, 0]:.1f}, {hessian[0, 1]:.2f}], "
      f"[{hessian[1, 0]:.2f}, {hessian[1, 1]:.2f}]]")
print(f"curvature across the valley {across:.1f}, along it {along:.2f}: ratio {across / along:.0f}")
print(f"largest stable learning rate 2 / {across:.0f} = {2 / across:.1e}")

# %% [markdown]
# The loss is about 25 times more curved across the valley than along it. That is why the
# descent first drops quickly onto the valley floor and then creeps along it. The curvature
# also limits $\alpha$: near the minimum, a step along a direction of curvature $\lambda$
# multiplies the distance to the floor by $1 - \alpha\lambda$. Once $\alpha\lambda > 2$ that
# factor is below $-1$, and the descent bounces from wall to wall with growing amplitude. Our
# $\alpha = 4\times10^{-3}$ is just below the limit; $10^{-2}$ in Part 2 is far above it.
#
# ### The fit and the loss

# %% tags=["demo"]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
ax1.plot(TIMES, Qhat, ".", ms=3, color="gray", label="data")
ax1.plot(TIMES, charge(*P0), "--", label=f"start R = {P0[0]:g}, L = {P0[1]:g}")
ax1.plot(TIMES, charge(*path_ad[-1]), label=f"fit R = {path_ad[-1, 0]:.3f}, L = {path_ad[-1, 1]:.3f}")
ax1.set(xlabel="t", ylabel="Q", title="Fitted charge curve")
ax1.legend(fontsize=8)
ax2.semilogy(losses_ad, label="dual-number gradient")
ax2.semilogy(loss(path_fd[:, 0], path_fd[:, 1], Qhat), "--", label="finite differences")
ax2.axhline(4.0, color="gray", ls=":", label="noise variance")
ax2.set(xlabel="iteration", ylabel="loss", title="Loss during gradient descent")
ax2.legend(fontsize=8)
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
    {"question": "You differentiate the simulated charge with respect to L. The circuit starts at "
                 "Q = Q' = 0 for every L. What derivative part does the initial state get?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "0", "correct": True,
          "feedback": "Right: the initial state does not change when L changes."},
         {"answer": "1", "correct": False,
          "feedback": "That would claim the starting charge moves with L. Only L itself gets 1."},
         {"answer": "L", "correct": False, "feedback": "The derivative part is a rate of change, not a value."}]},
    {"question": "What is d/dR of mean((Q - Qhat)**2)?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "2 * mean((Q - Qhat) * dQ/dR)", "correct": True, "feedback": "Right: chain rule, term by term."},
         {"answer": "mean((Q - Qhat) * dQ/dR)", "correct": False, "feedback": "The square brings down a factor 2."},
         {"answer": "2 * sum((Q - Qhat) * dQ/dR)", "correct": False, "feedback": "The loss is a mean, not a sum."},
         {"answer": "2 * mean((Qhat - Q) * dQ/dR)", "correct": False,
          "feedback": "That is the negative gradient: descent would climb."}]},
    {"question": "Dual numbers through Euler's method give a gradient far from the ODE's. Why?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "Euler's method is a poor approximation at this step; AD is exact for the Euler program",
          "correct": True, "feedback": "Right: AD differentiates the discretisation you wrote."},
         {"answer": "Dual numbers lose accuracy over many steps", "correct": False,
          "feedback": "Central differences of the Euler loss give the same numbers."},
         {"answer": "The seeding was wrong", "correct": False,
          "feedback": "With the same seeding, RK4 agrees with the ODE to a few parts in 10^4."}]},
    {"question": "You double the learning rate alpha. Should the finite-difference step h change too?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "No: h sets how accurate the slope is, alpha how far to walk", "correct": True,
          "feedback": "Right: they do different jobs."},
         {"answer": "Yes, h should double as well", "correct": False,
          "feedback": "h is chosen for accuracy (truncation against round-off), independent of alpha."}]},
    {"question": "Dual numbers through RK4 with step dt compute the same numbers as which of these?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "RK4 with step dt on the ODE together with its sensitivity equations", "correct": True,
          "feedback": "Right: stage for stage, the derivative parts are RK4 on the sensitivity equations."},
         {"answer": "the exact derivative of the ODE's solution", "correct": False,
          "feedback": "Only up to the solver's error: RK4's falls like dt**4."},
         {"answer": "central differences of the RK4 loss", "correct": False,
          "feedback": "Those agree only to about 10 digits, and depend on the step h."}]},
    {"question": "With vector duals, how many simulations give the derivatives with respect to R, L, C and E?",
     "type": "numeric", "precision": 2,
     "answers": [{"type": "value", "value": 1, "correct": True,
                  "feedback": "Right: one simulation, with four-entry derivative arrays."},
                 {"type": "value", "value": 4, "correct": False,
                  "feedback": "That is the count with scalar duals."},
                 {"type": "default", "feedback": "Seed each input with its own unit vector."}]},
])

# %% [markdown]
# ## Summary
#
# - An ODE solver written with `+ - * /` runs on dual numbers unchanged, and returns the
#   solution together with its derivatives.
# - Seed 1 on the input you differentiate by and 0 on everything that does not depend on
#   it, including an initial state that is the same for every parameter.
# - The gradient of a mean squared error is $\frac{2}{N}\sum (Q - \hat Q)\,\partial Q$;
#   with it, gradient descent fits $R$ and $L$ without any step $h$ to tune.
# - AD differentiates the program: through Euler you get the exact gradient of Euler's
#   (poor) approximation. A better solver, RK4, gives a better gradient: forward mode
#   through an explicit Runge-Kutta method is that method on the sensitivity equations,
#   so the gradient's error falls like the solver's.
# - Vector-valued derivatives give all partial derivatives in one simulation; the cost
#   still grows with the number of inputs, which is where reverse mode comes in.
#
# Next: reverse mode and the tape, with PyTorch, on the same circuit.
