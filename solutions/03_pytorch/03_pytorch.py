# %% [markdown]
# # 3. Reverse mode: from your own tape to PyTorch
#
# *Automatic differentiation, from dual numbers to JAX* · notebook 3 of 6
#
# Dual numbers push derivatives **forward**, alongside the values: one pass gives the
# derivative with respect to one input. A neural network has millions of inputs (its
# parameters) and one output (its loss), so it needs the other direction: run the program
# once, remember what it did, then walk **backward** from the output and get the derivative
# with respect to every input in one sweep. That is reverse mode, and it is what PyTorch does.
#
# You will:
# 1. build reverse-mode AD yourself, as a small `Var` class with a `backward()` method, and
#    measure what it costs in time and in memory against forward mode;
# 2. learn PyTorch's autograd: `requires_grad`, `backward`, `.grad` (and its classic trap),
#    `.detach()`, `retain_graph`, `torch.autograd.grad`, `torch.func` and `gradcheck`;
# 3. compute the gradient of the RLC circuit loss of notebook 2 with PyTorch, check that it
#    agrees with dual numbers to rounding, and fit the circuit properly.
#
# **How to work.** Run the cells from top to bottom. Cells marked *Exercise* contain
# `raise NotImplementedError(...)`: replace that line with your code. The cell after each
# exercise is a self-check; if an `assert` fails, its message tells you what to look at.
# Your notebook is graded by hidden tests that try your code on inputs you have not seen.

# %% readonly="setup"
import contextlib
import sys
import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from scipy.integrate import solve_ivp

torch.set_default_dtype(torch.float64)  # float64 everywhere: we compare gradients to 10 digits

# %% [markdown]
# ## Part 1. Reverse mode, from scratch
#
# ### A program is a graph
#
# Take $f(x, y) = x\,y + \sin x$. Evaluating it is a sequence of elementary steps, each
# node computed from earlier ones:
#
# $$v_1 = x,\quad v_2 = y,\quad v_3 = v_1 v_2,\quad v_4 = \sin v_1,\quad v_5 = v_3 + v_4 = f.$$
#
# Reverse mode attaches to every node its **adjoint** $\bar v_i = \partial f / \partial v_i$,
# the sensitivity of the *output* to that node. The output's adjoint is $\bar v_5 = 1$. Every
# other adjoint follows from the chain rule, summed over the nodes that *use* $v_i$:
#
# $$\bar v_i = \sum_{j\,:\,v_j \text{ uses } v_i} \bar v_j\, \frac{\partial v_j}{\partial v_i}.$$

# %% tags=["demo"]
def draw_graph():
    pos = {"x": (0, 1), "y": (0, 0), "v3 = x·y": (1.2, 0.5), "v4 = sin x": (1.2, 1.5), "f = v3 + v4": (2.4, 1)}
    edges = [("x", "v3 = x·y"), ("y", "v3 = x·y"), ("x", "v4 = sin x"),
             ("v3 = x·y", "f = v3 + v4"), ("v4 = sin x", "f = v3 + v4")]
    fig, ax = plt.subplots(figsize=(6.5, 2.8))
    for a, b in edges:
        ax.annotate("", xy=pos[b], xytext=pos[a],
                    arrowprops=dict(arrowstyle="-|>", color="dimgray", mutation_scale=14, shrinkA=18, shrinkB=30))
    for name, (px, py) in pos.items():
        ax.text(px, py, name, ha="center", va="center", bbox=dict(boxstyle="round", fc="lightyellow"))
    ax.text(0.25, 1.62, "x is used twice:\nits adjoint is a sum", fontsize=8, color="darkred")
    ax.set(xlim=(-0.4, 2.9), ylim=(-0.4, 2.0), title="The graph of f(x, y) = x y + sin x")
    ax.axis("off")
    plt.show()


draw_graph()

# %% [markdown]
# Values flow left to right; adjoints flow right to left. Two facts decide how to code it:
#
# - **Accumulate.** $x$ feeds two nodes, so $\bar x = \bar v_3\,y + \bar v_4 \cos x$ is a sum.
#   Each use *adds* its contribution; none may overwrite another.
# - **Order.** A node may pass its adjoint on only when it is complete, that is after every
#   node that uses it has passed on *its* adjoint. Visiting the nodes in **reverse
#   topological order** (every node after all the nodes that use it) guarantees this.
#
# Here is the reverse sweep by hand, checked against central differences:

# %% tags=["demo"]
x, y = 0.5, 3.0
v3 = x * y                   # forward sweep: values
v4 = np.sin(x)
f_value = v3 + v4

bar_f = 1.0                  # reverse sweep: adjoints, output first
bar_v3 = bar_f * 1.0         # f = v3 + v4
bar_v4 = bar_f * 1.0
bar_y = bar_v3 * x           # v3 = x * y
bar_x = bar_v3 * y + bar_v4 * np.cos(x)   # x feeds v3 and v4: two contributions

h = 1e-6
fd_x = ((x + h) * y + np.sin(x + h) - ((x - h) * y + np.sin(x - h))) / (2 * h)
fd_y = (x * (y + h) + np.sin(x) - (x * (y - h) + np.sin(x))) / (2 * h)
print(f"df/dx: reverse sweep {bar_x:.12f}, central difference {fd_x:.12f}")
print(f"df/dy: reverse sweep {bar_y:.12f}, central difference {fd_y:.12f}")
assert np.isclose(bar_x, fd_x, rtol=1e-8) and np.isclose(bar_y, fd_y, rtol=1e-8)

# %% [markdown]
# ### Forward or reverse?
#
# For $f:\mathbb{R}^n \to \mathbb{R}^m$, forward mode gives one *column* of the Jacobian per
# pass (one input direction), reverse mode one *row* (one output). So the full Jacobian
# costs $n$ forward passes or $m$ reverse passes, each a small multiple of one evaluation.
#
# - **Reverse wins when there are many inputs and few outputs**: the gradient of a scalar
#   loss with respect to a million parameters is one reverse pass, but a million forward
#   passes.
# - **Forward wins when there are few inputs and many outputs**: the whole curve $Q(t)$,
#   200 outputs, with respect to $R$ and $L$ is two forward passes, but 200 reverse passes.
#
# Reverse mode pays in **memory**: it must keep the whole graph until the backward sweep,
# while forward mode can forget each value as soon as the next one is computed. We will
# measure both the time and the memory once you have written the reverse-mode engine.
#
# ### The `Var` class
#
# Each `Var` is one node. It stores its `value`, its adjoint in `grad` (0 until `backward()`
# fills it), the nodes it was computed from (`_parents`), and a function `_backward` that
# pushes its own `grad` to its parents' `grad`. Every operator defines this local rule right
# next to the value it computes. Addition is the pattern:
#
# ```python
# def __add__(self, other):
#     other = as_var(other)                            # a number becomes a constant node
#     out = Var(self.value + other.value, (self, other))
#     def _backward():                                 # d(a + b)/da = 1, d(a + b)/db = 1
#         self.grad += out.grad                        # +=, never =: self may have other users
#         other.grad += out.grad
#     out._backward = _backward
#     return out
# ```
#
# `backward()`, called on the output, then does three things:
# 1. list every node of the graph in **topological order** (each node after its parents),
#    with a depth-first search that appends a node after visiting its parents, each node once;
# 2. set the output's `grad` to 1;
# 3. call `_backward()` of every node in the **reversed** list.
#
# **The search must not be recursive.** A recursive search calls itself once per level of
# the graph, and Python stops at 1,000 nested calls (its default recursion limit). The graph
# of the RLC loss at the end of this notebook is about 6,000 nodes deep. Keep the nodes still
# to visit on an explicit stack, a list you append to and pop from, with a flag that says
# whether a node's parents are done. (Any topological order will do: numbering the nodes as
# they are created also works, since a node is always created after its parents.)

# %% [markdown]
# ### Exercise `var_class`
#
# Complete `Var`. It must support
# - `+ - * /` between two `Var`s, and with a number (int, float or NumPy float) **on either
#   side**: `x * 2`, `2 * x`, `1 / x`, `3 - x`, each returning a `Var`;
# - `x ** p` for a real number `p`, and unary minus `-x`;
# - `np.exp`, `np.log`, `np.sin`, `np.cos` of a `Var` (NumPy calls the method of the same
#   name, as in notebook 1), each returning a `Var`;
# - `backward()`, after which every leaf's `.grad` holds $\partial\,\text{output}/\partial\,\text{leaf}$,
#   also when a node is used more than once (`x * x`), and in deep graphs: a chain 3,000
#   nodes deep at Python's default recursion limit, without raising it (the hidden tests run
#   it so).
#
# `.grad` starts at 0 and only `backward()` changes it. Do not use PyTorch, JAX or any other
# AD library here, directly or through a helper: the point is to write the rules yourself,
# and the grader records which libraries run while your `Var` works.

# %% answer="var_class"
def as_var(v):
    """A Var as it is, a number as a constant node (a leaf whose grad nobody reads)."""
    return v if isinstance(v, Var) else Var(v)


class Var:
    """A scalar node of a computational graph, for reverse-mode AD."""

    def __init__(self, value, parents=()):
        self.value = value
        self.grad = 0.0                 # d output / d self, filled in by backward()
        self._parents = parents         # the nodes this one was computed from
        self._backward = lambda: None   # pushes self.grad to the parents' grad

    def __repr__(self):
        return f"Var(value={self.value!r}, grad={self.grad!r})"

    def __add__(self, other):
        ### BEGIN SOLUTION
        other = as_var(other)
        out = Var(self.value + other.value, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def __radd__(self, other):
        ### BEGIN SOLUTION
        return self + other
        ### END SOLUTION

    def __neg__(self):
        ### BEGIN SOLUTION
        return self * -1.0
        ### END SOLUTION

    def __sub__(self, other):
        ### BEGIN SOLUTION
        return self + (-as_var(other))
        ### END SOLUTION

    def __rsub__(self, other):
        ### BEGIN SOLUTION
        return as_var(other) + (-self)
        ### END SOLUTION

    def __mul__(self, other):
        ### BEGIN SOLUTION
        other = as_var(other)
        out = Var(self.value * other.value, (self, other))

        def _backward():
            self.grad += other.value * out.grad
            other.grad += self.value * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def __rmul__(self, other):
        ### BEGIN SOLUTION
        return self * other
        ### END SOLUTION

    def __truediv__(self, other):
        ### BEGIN SOLUTION
        return self * as_var(other) ** -1.0
        ### END SOLUTION

    def __rtruediv__(self, other):
        ### BEGIN SOLUTION
        return as_var(other) * self ** -1.0
        ### END SOLUTION

    def __pow__(self, p):
        ### BEGIN SOLUTION
        out = Var(self.value ** p, (self,))

        def _backward():
            self.grad += p * self.value ** (p - 1) * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def exp(self):
        ### BEGIN SOLUTION
        out = Var(np.exp(self.value), (self,))

        def _backward():
            self.grad += out.value * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def log(self):
        ### BEGIN SOLUTION
        out = Var(np.log(self.value), (self,))

        def _backward():
            self.grad += out.grad / self.value
        out._backward = _backward
        return out
        ### END SOLUTION

    def sin(self):
        ### BEGIN SOLUTION
        out = Var(np.sin(self.value), (self,))

        def _backward():
            self.grad += np.cos(self.value) * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def cos(self):
        ### BEGIN SOLUTION
        out = Var(np.cos(self.value), (self,))

        def _backward():
            self.grad -= np.sin(self.value) * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def backward(self):
        """Fill .grad of every node of the graph with d self / d node."""
        ### BEGIN SOLUTION
        order, seen = [], set()
        stack = [(self, False)]          # (node, its parents are done): a depth-first search
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._parents if id(p) not in seen)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        ### END SOLUTION


# %% readonly="self_check_helpers"
def shown(number):
    return f"{number:.10g}" if isinstance(number, (int, float, np.number)) else repr(number)


@contextlib.contextmanager
def default_recursion_room():
    """Leave code Python's default room of 1,000 nested calls, whatever the limit was."""
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def messy(x):
    """The messy function of notebook 1."""
    return np.exp(np.sin(x ** 2 - (3 - np.cos(x ** 7 + 10 * np.exp(x))) ** 2))


def expect_grads(label, fn, inputs, value, grads, hint):
    """Self-check: out = fn(Var leaves); after out.backward() the value and leaf grads should match."""
    leaves = [Var(v) for v in inputs]
    out = fn(*leaves)
    assert isinstance(out, Var), f"{label} should return a Var, got {type(out).__name__}: check {hint}"
    out.backward()
    assert np.isclose(out.value, value, rtol=1e-9, atol=1e-12), (
        f"{label} at {inputs}: value should be {shown(value)}, got {shown(out.value)}: check {hint}")
    for name, leaf, want in zip("xyz", leaves, grads):
        assert isinstance(leaf.grad, (int, float, np.number)), (
            f"{label}: {name}.grad should be a number, got {type(leaf.grad).__name__}: check {hint}")
        assert np.isclose(leaf.grad, want, rtol=1e-9, atol=1e-12), (
            f"{label} at {inputs}: {name}.grad should be {shown(want)}, got {shown(leaf.grad)}: check {hint}")


# %% test="test_var_arithmetic"
expect_grads("x + y", lambda x, y: x + y, (2.0, 5.0), 7.0, (1.0, 1.0), "__add__")
expect_grads("1 + x", lambda x, y: 1 + x, (2.0, 5.0), 3.0, (1.0, 0.0), "__radd__")
expect_grads("x - y", lambda x, y: x - y, (2.0, 5.0), -3.0, (1.0, -1.0), "__sub__")
expect_grads("3 - x", lambda x, y: 3 - x, (2.0, 5.0), 1.0, (-1.0, 0.0), "__rsub__ (d(3 - x)/dx = -1)")
expect_grads("-x", lambda x, y: -x, (2.0, 5.0), -2.0, (-1.0, 0.0), "__neg__")
expect_grads("x * y", lambda x, y: x * y, (2.0, 5.0), 10.0, (5.0, 2.0),
             "__mul__ (each factor gets the other's value times out.grad)")
expect_grads("3 * x", lambda x, y: 3 * x, (2.0, 5.0), 6.0, (3.0, 0.0), "__rmul__")
expect_grads("x / y", lambda x, y: x / y, (2.0, 5.0), 0.4, (0.2, -0.08), "__truediv__ (d(x/y)/dy = -x/y**2)")
expect_grads("x / 4", lambda x, y: x / 4, (2.0, 5.0), 0.5, (0.25, 0.0), "__truediv__ with a number")
expect_grads("1 / x", lambda x, y: 1 / x, (2.0, 5.0), 0.5, (-0.25, 0.0),
             "__rtruediv__ (it must return a Var; d(1/x)/dx = -1/x**2)")
### BEGIN HIDDEN TESTS
from autograder.probes.pytorch import probe_group

probe_group("var_arithmetic", Var)
### END HIDDEN TESTS

# %% test="test_var_powers"
expect_grads("x ** 2", lambda x: x ** 2, (4.0,), 16.0, (8.0,), "__pow__")
expect_grads("x ** 0.5", lambda x: x ** 0.5, (4.0,), 2.0, (0.25,), "__pow__ (p * x**(p - 1))")
expect_grads("(x * y) ** 2", lambda x, y: (x * y) ** 2, (2.0, 5.0), 100.0, (100.0, 40.0),
             "__pow__ (multiply the local derivative by out.grad)")
### BEGIN HIDDEN TESTS
from autograder.probes.pytorch import probe_group

probe_group("var_powers", Var)
### END HIDDEN TESTS

# %% test="test_var_functions"
expect_grads("np.exp(x)", lambda x: np.exp(x), (0.5,), np.exp(0.5), (np.exp(0.5),), "exp")
expect_grads("np.log(x)", lambda x: np.log(x), (0.5,), np.log(0.5), (2.0,), "log")
expect_grads("np.sin(x)", lambda x: np.sin(x), (0.5,), np.sin(0.5), (np.cos(0.5),), "sin")
expect_grads("np.cos(x)", lambda x: np.cos(x), (0.5,), np.cos(0.5), (-np.sin(0.5),), "cos (d cos = -sin)")
expect_grads("np.sin(2 * x)", lambda x: np.sin(2 * x), (0.5,), np.sin(1.0), (2 * np.cos(1.0),),
             "sin (multiply the local derivative by out.grad)")
expect_grads("np.log(x * y)", lambda x, y: np.log(x * y), (0.5, 4.0), np.log(2.0), (2.0, 0.25),
             "log (multiply the local derivative by out.grad)")
### BEGIN HIDDEN TESTS
from autograder.probes.pytorch import probe_group

probe_group("var_functions", Var)
### END HIDDEN TESTS

# %% test="test_var_reuse"
expect_grads("x * x", lambda x: x * x, (3.0,), 9.0, (6.0,),
             "__mul__: x is both factors, so both contributions must add up (+=, not =); 3 means one overwrote the other")
expect_grads("x + x", lambda x: x + x, (3.0,), 6.0, (2.0,), "accumulate with +=")


def reuse(x):
    t = x * x          # t is used twice below, x twice here
    return t * t + t   # x**4 + x**2, derivative 4 x**3 + 2 x


expect_grads("t = x*x; t*t + t", reuse, (2.0,), 20.0, (36.0,), "accumulate with += in every rule")
expect_grads("(x + y) * (x - y)", lambda x, y: (x + y) * (x - y), (3.0, 2.0), 5.0, (6.0, -4.0),
             "accumulate with += in every rule")
### BEGIN HIDDEN TESTS
from autograder.probes.pytorch import probe_group

probe_group("var_reuse", Var)
### END HIDDEN TESTS

# %% test="test_var_deep_graphs"
def diamond(x, y):
    a = x * y
    return np.sin(a) * np.cos(a) + a


def short_and_long_path(x, y):
    u = x * y                                # used by the output directly and through a long path
    w = np.sin(np.cos(np.sin(u) + 1) * 2)
    return w * 3 + u


def long_chain(x):
    for _ in range(1000):
        x = np.log(np.exp(x) + 0.001)    # three nodes per step: 3,000 deep
    return x


# The chain in closed form: each step adds 0.001 to exp(x), so it ends at log(exp(x) + 1),
# whose derivative is exp(x) / (exp(x) + 1).
value, slope = np.log(np.exp(0.3) + 1), np.exp(0.3) / (np.exp(0.3) + 1)

expect_grads("diamond", diamond, (0.5, 1.5), 1.248747493302027, (1.6061058025015544, 0.5353686008338515),
             "backward(): each node once, in reverse topological order")
expect_grads("short and long path", short_and_long_path, (0.7, -1.2), 1.9630666371156549,
             (-1.6325578160090972, 0.9523253926719734),
             "backward(): u may pass its grad on only after every node that uses u has passed on theirs")
expect_grads("the messy function of notebook 1", messy, (1.0,), 0.5089843942060478, (8.620617825647981,),
             "backward() and each rule's chain factor out.grad")
with default_recursion_room():
    try:
        expect_grads("a chain 3,000 nodes deep", long_chain, (0.3,), value, (slope,), "backward()")
    except RecursionError:
        raise AssertionError("backward() on a chain 3,000 nodes deep ran out of Python's 1,000 nested calls: "
                             "it calls itself once per node; keep the nodes to visit on an explicit stack") from None
### BEGIN HIDDEN TESTS
from autograder.probes.pytorch import probe_group

probe_group("var_deep_graphs", Var)
### END HIDDEN TESTS

# %% [markdown]
# ### Checked a second way: PyTorch on the same expressions
#
# A second opinion from a trusted AD system, as in the tests of micrograd (a tiny
# reverse-mode engine much like `Var`). PyTorch's functions take tensors, so each expression
# is written once against a namespace `m`: `m = np` for your `Var`, `m = torch` for
# PyTorch (float64).

# %% tags=["demo"]
expressions = {
    "x*y + sin(x)": lambda m, x, y: x * y + m.sin(x),
    "t = x*y; t*t + t": lambda m, x, y: (lambda t: t * t + t)(x * y),   # one node t, used three times
    "log(x**2 + y**2) / y": lambda m, x, y: m.log(x ** 2 + y ** 2) / y,
    "messy(x) * y": lambda m, x, y: m.exp(m.sin(x ** 2 - (3 - m.cos(x ** 7 + 10 * m.exp(x))) ** 2)) * y,
}
print(f"{'expression':<24}{'Var  d/dx':>20}{'torch  d/dx':>20}{'Var  d/dy':>20}{'torch  d/dy':>20}")
for name, fn in expressions.items():
    x_var, y_var = Var(0.9), Var(-1.3)
    fn(np, x_var, y_var).backward()
    x_t = torch.tensor(0.9, requires_grad=True)
    y_t = torch.tensor(-1.3, requires_grad=True)
    fn(torch, x_t, y_t).backward()
    assert np.isclose(x_var.grad, x_t.grad.item(), rtol=1e-12), f"{name}: d/dx differs from PyTorch"
    assert np.isclose(y_var.grad, y_t.grad.item(), rtol=1e-12), f"{name}: d/dy differs from PyTorch"
    print(f"{name:<24}{x_var.grad:>20.13g}{x_t.grad.item():>20.13g}{y_var.grad:>20.13g}{y_t.grad.item():>20.13g}")

# %% [markdown]
# ### Measuring forward against reverse
#
# Below, `Dual` is the forward-mode class of notebook 1, in compact form. Its `derivative`
# may also be a NumPy vector: one tangent per input direction, all carried in one pass.
# We time both modes on two kinds of function:
#
# - $f:\mathbb{R}^n\to\mathbb{R}$, $f(x) = \sum_{i=1}^{n} \sin(x_i)\,x_{i+1}$ (with
#   $x_{n+1} = x_1$): the full gradient takes $n$ scalar forward passes, or one reverse pass;
# - $g:\mathbb{R}\to\mathbb{R}^m$, $g_k(t) = \sin(k t)$: all $m$ derivatives take one forward
#   pass, or $m$ reverse passes.

# %% readonly="dual_numbers"
class Dual:
    """Forward mode (notebook 1), compact: value + derivative; the derivative may be a vector."""

    def __init__(self, value, derivative=0.0):
        self.value, self.derivative = value, derivative

    @staticmethod
    def parts(other):
        return (other.value, other.derivative) if isinstance(other, Dual) else (other, 0.0)

    def __add__(self, other):
        v, d = Dual.parts(other)
        return Dual(self.value + v, self.derivative + d)

    __radd__ = __add__

    def __neg__(self):
        return Dual(-self.value, -self.derivative)

    def __sub__(self, other):
        return self + (-Dual(*Dual.parts(other)))

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        v, d = Dual.parts(other)
        return Dual(self.value * v, self.derivative * v + self.value * d)

    __rmul__ = __mul__

    def __truediv__(self, other):
        v, d = Dual.parts(other)
        return Dual(self.value / v, (self.derivative * v - self.value * d) / v ** 2)

    def __rtruediv__(self, other):
        return Dual(other, 0.0) / self  # a number over a Dual is still a Dual

    def __pow__(self, p):
        return Dual(self.value ** p, p * self.value ** (p - 1) * self.derivative)

    def exp(self):
        return Dual(np.exp(self.value), np.exp(self.value) * self.derivative)

    def log(self):
        return Dual(np.log(self.value), self.derivative / self.value)

    def sin(self):
        return Dual(np.sin(self.value), np.cos(self.value) * self.derivative)

    def cos(self):
        return Dual(np.cos(self.value), -np.sin(self.value) * self.derivative)


# %% tags=["demo"]
def many_inputs(xs):
    return sum(np.sin(xs[i]) * xs[(i + 1) % len(xs)] for i in range(len(xs)))


def many_outputs(t, m):
    return [np.sin(k * t) for k in range(1, m + 1)]


def gradient_forward(xs):
    return np.array([many_inputs([Dual(v, float(i == j)) for j, v in enumerate(xs)]).derivative
                     for i in range(len(xs))])


def gradient_reverse(xs):
    leaves = [Var(v) for v in xs]
    many_inputs(leaves).backward()
    return np.array([leaf.grad for leaf in leaves])


def derivatives_forward(t, m):
    return np.array([out.derivative for out in many_outputs(Dual(t, 1.0), m)])


def derivatives_reverse(t, m):
    grads = []
    for k in range(m):           # one reverse pass per output, each on a fresh graph
        leaf = Var(t)
        many_outputs(leaf, m)[k].backward()
        grads.append(leaf.grad)
    return np.array(grads)


def best_time(fn, *args, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return min(times)


rng = np.random.default_rng(0)
sizes = [2, 4, 8, 16, 32, 64]
xs = {n: rng.uniform(-1, 1, n) for n in sizes}
for n in sizes:  # both modes give the same gradient, and the exact one
    exact = np.cos(xs[n]) * np.roll(xs[n], -1) + np.roll(np.sin(xs[n]), 1)
    assert np.allclose(gradient_forward(xs[n]), exact) and np.allclose(gradient_reverse(xs[n]), exact)
    assert np.allclose(derivatives_forward(0.3, n), derivatives_reverse(0.3, n))

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
ax1.loglog(sizes, [best_time(gradient_forward, xs[n]) for n in sizes], "o-", label="forward: n passes")
ax1.loglog(sizes, [best_time(gradient_reverse, xs[n]) for n in sizes], "s-", label="reverse: 1 pass")
ax1.set(xlabel="number of inputs n", ylabel="seconds", title="gradient of f: R^n -> R")
ax2.loglog(sizes, [best_time(derivatives_forward, 0.3, m) for m in sizes], "o-", label="forward: 1 pass")
ax2.loglog(sizes, [best_time(derivatives_reverse, 0.3, m) for m in sizes], "s-", label="reverse: m passes")
ax2.set(xlabel="number of outputs m", ylabel="seconds", title="derivatives of g: R -> R^m")
for ax in (ax1, ax2):
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.minorticks_off()
    ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# Each panel shows the same picture: the mode that needs one pass grows like the size of the
# function, the other like its square. One reverse pass costs a few times more than one
# forward pass (it records the graph, then walks it), so at $n = 2$ two forward passes are
# no slower than one reverse pass. "Reverse is cheaper" holds **when there are many more
# inputs than outputs**; with many more outputs than inputs, forward mode is cheaper.
#
# ### Reverse mode pays in memory, measured
#
# Run a chain of $n$ steps, $h \leftarrow \sin(h)/2 + 1$, and count the bytes still allocated
# when the forward pass ends (Python's `tracemalloc` counts every allocation). With dual
# numbers only the last value is alive: each step's dual is garbage as soon as the next one
# exists. With `Var`, the output holds its parents, which hold theirs: the whole graph, three
# nodes per step, waits for `backward()`. (The right panel counts, for PyTorch, the numbers
# its graph saves for the backward pass, through `saved_tensors_hooks`: data only, not its
# own bookkeeping.)

# %% tags=["demo"]
import tracemalloc


def chain(m, h, n):
    """n steps of h <- sin(h) / 2 + 1, with the sin of m (numpy for Var and Dual, or torch)."""
    for _ in range(n):
        h = m.sin(h) / 2 + 1
    return h


def bytes_after_forward(make_input, n):
    """(bytes still allocated after the forward pass of the chain, its input, its output)."""
    tracemalloc.start()
    x = make_input()
    out = chain(np, x, n)
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return held, x, out


def torch_saved_bytes(n):
    """Bytes of the tensors PyTorch's graph saves for backward, for the chain of n steps."""
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t.numel() * t.element_size()) or t,
                                                  lambda t: t):
        chain(torch, torch.tensor(0.3, requires_grad=True), n)
    return sum(saved)


lengths = np.array([500, 1000, 2000, 4000, 8000])
by_var, by_dual = [], []
for n in lengths:
    held_var, x_var, out_var = bytes_after_forward(lambda: Var(0.3), n)
    held_dual, _, out_dual = bytes_after_forward(lambda: Dual(0.3, 1.0), n)
    out_var.backward()
    assert np.isclose(x_var.grad, out_dual.derivative, rtol=1e-12), "forward and reverse mode should agree"
    by_var.append(held_var)
    by_dual.append(held_dual)
by_var, by_dual = np.array(by_var), np.array(by_dual)
by_torch = np.array([torch_saved_bytes(n) for n in lengths])

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
ax1.plot(3 * lengths, by_var / 1e6, "s-", label="Var (reverse): the graph")
ax1.plot(3 * lengths, by_dual / 1e6, "o-", label="Dual (forward): the last value")
ax1.set(xlabel="nodes in the graph (3 per step)", ylabel="MB held after the forward pass",
        title="Your engines")
ax2.plot(3 * lengths, by_torch / 1e3, "s-", color="C2", label="tensors saved for backward")
ax2.set(xlabel="nodes in the graph", ylabel="kB saved", title="PyTorch")
for ax in (ax1, ax2):
    ax.legend(fontsize=8)
plt.tight_layout()
plt.show()
per_node = np.polyfit(3 * lengths, by_var, 1)[0]
print(f"Var: about {per_node:.0f} bytes per node; Dual: {by_dual.max() / 1e3:.1f} kB whatever n; "
      f"PyTorch: {np.polyfit(lengths, by_torch, 1)[0]:.0f} bytes of saved data per step")

# %% [markdown]
# The tape grows in proportion to the program; forward mode's memory does not. For a
# network this is the price of one-pass gradients: every activation is kept until the
# backward pass has used it (checkpointing, in notebook 7, trades some of that memory back
# for recomputation). PyTorch saves only what each backward rule needs, here the input of
# each `sin` (8 bytes a step; dividing by 2 and adding 1 need nothing), but it too grows
# with the graph.
#
# ## Part 2. PyTorch autograd
#
# PyTorch is your `Var`, industrial strength: a tensor created with `requires_grad=True` is
# a leaf; every operation on it records a node with its backward rule (`grad_fn`); and
# `backward()` on a scalar walks that graph in reverse topological order, adding into the
# `.grad` of the leaves.

# %% tags=["demo"]
x = torch.tensor(1.0, requires_grad=True)
y = torch.exp(torch.sin(x ** 2 - (3 - torch.cos(x ** 7 + 10 * torch.exp(x))) ** 2))
y.backward()
print("f(1)  =", y.item())
print("f'(1) =", x.grad.item())

x_var = Var(1.0)
messy(x_var).backward()
assert np.isclose(x.grad.item(), x_var.grad, rtol=1e-12), "PyTorch and Var should agree"
print("x is a leaf:", x.is_leaf, "  y is a leaf:", y.is_leaf, "  y.grad_fn:", y.grad_fn)

# %% [markdown]
# Only **leaves** get a `.grad`. `y` is an intermediate result, with a `grad_fn` that knows
# how to push a gradient back. `backward()` computes the adjoint of every intermediate node
# on its way but stores only the leaves' ones, so asking a non-leaf for `.grad` gives `None`
# and a warning. (If you really need one, call `y.retain_grad()` before `backward()`.)
#
# ### `.detach()`: the value without the graph
#
# `t.detach()` returns a tensor with the same numbers (sharing the memory) that is cut off
# from the graph: no `grad_fn`, no `requires_grad`. You need it to leave the graph, for
# instance before `.numpy()` or `.tolist()`, which refuse a tensor that requires grad, and
# to record values along the way (`params.detach().clone()`, below). Inside a computation it
# is a statement: "treat this as a constant". Autograd believes it, so a detached factor
# contributes no derivative:

# %% tags=["demo"]
u = torch.tensor(3.0, requires_grad=True)
try:
    u.numpy()
except RuntimeError as err:
    print("u.numpy():", str(err).split(".")[0])
print("u.detach().numpy():", u.detach().numpy(), "  requires_grad:", u.detach().requires_grad)

(du_full,) = torch.autograd.grad(u * u, u)
(du_cut,) = torch.autograd.grad(u * u.detach(), u)
assert du_full.item() == 2 * 3.0 and du_cut.item() == 3.0
print(f"d(u * u)/du = {du_full.item():g} (= 2u);  d(u * u.detach())/du = {du_cut.item():g}: "
      "the detached u counts as the constant 3")

# %% [markdown]
# ### The `.grad` trap: gradients add up
#
# `backward()` *adds* into `.grad`, exactly like the `+=` of your `Var`. That is what makes
# reuse correct inside one graph, but it also means that a second `backward()` adds to
# whatever the first one left. Here $f(w) = w^2$ at $w = 3$, so $f'(3) = 6$:

# %% tags=["demo"]
w = torch.tensor(3.0, requires_grad=True)
for call in range(1, 4):
    (w ** 2).backward()
    print(f"after backward() number {call}: w.grad = {w.grad.item():g}")

# %% [markdown]
# Six, twelve, eighteen: the old gradient was never cleared. In a training loop this is a
# silent bug, each step using the sum of all previous gradients. Clear it before each
# `backward()`, with `w.grad = None` (or `w.grad.zero_()`, or `optimizer.zero_grad()`):

# %% tags=["demo"]
for call in range(1, 4):
    w.grad = None
    (w ** 2).backward()
    print(f"cleared, then backward() number {call}: w.grad = {w.grad.item():g}")
assert w.grad.item() == 6.0

# %% [markdown]
# Each loop above built a **new** graph, `w ** 2`, and walked it once. Walking the same
# graph twice is another matter. To save memory, `backward()` frees what the graph saved for
# the backward pass (the inputs of `sin`, the factors of a product) as it goes, so a second
# `backward()` on the same output fails. `retain_graph=True` keeps them, for when you really
# need two sweeps of one graph (two losses that share a part, say):

# %% tags=["demo"]
v = torch.tensor(0.5, requires_grad=True)
y2 = torch.sin(v) * v
y2.backward()
try:
    y2.backward()
except RuntimeError as err:
    print("second backward():", str(err).split(".")[0])

v.grad = None
y2 = torch.sin(v) * v
y2.backward(retain_graph=True)
y2.backward()                     # allowed: the saved tensors were kept
assert np.isclose(v.grad.item(), 2 * (np.cos(0.5) * 0.5 + np.sin(0.5)))
print(f"with retain_graph=True, two sweeps: v.grad = {v.grad.item():.12f} = 2 (v cos v + sin v)")

# %% [markdown]
# ### `torch.autograd.grad`: gradients as return values
#
# `torch.autograd.grad(output, inputs)` returns the gradients as a tuple and leaves `.grad`
# alone, so nothing accumulates. With `create_graph=True` the result is itself part of a
# graph, and can be differentiated again.

# %% tags=["demo"]
a = torch.tensor(0.7, requires_grad=True)
b = torch.tensor(-1.2, requires_grad=True)
out = a * b + torch.sin(a)
da, db = torch.autograd.grad(out, (a, b))
print(f"d/da = {da.item():.12f} (b + cos a = {(-1.2 + np.cos(0.7)):.12f}),  d/db = {db.item():.12f} (a = 0.7)")
print("a.grad is still", a.grad)

s = torch.tensor(0.7, requires_grad=True)
(ds,) = torch.autograd.grad(torch.sin(s) ** 2, s, create_graph=True)   # 2 sin s cos s = sin 2s
(d2s,) = torch.autograd.grad(ds, s)                                    # 2 cos 2s
assert np.isclose(ds.item(), np.sin(1.4)) and np.isclose(d2s.item(), 2 * np.cos(1.4))
print(f"second derivative of sin(s)**2 at 0.7: {d2s.item():.12f} = 2 cos(1.4) = {2 * np.cos(1.4):.12f}")

# %% [markdown]
# ### `torch.func.grad`: differentiate a function, not a tensor
#
# `torch.func.grad(f)` takes a Python function that returns a scalar tensor and returns a
# new *function* computing its gradient, the style of JAX (notebook 4). It composes: the
# second derivative is `grad(grad(f))`, and `torch.func.vmap` maps it over many points.

# %% tags=["demo"]
from torch.func import grad, vmap


def bump(t):
    return torch.sin(3 * t) * torch.exp(-t ** 2 / 2)


d_bump, d2_bump = grad(bump), grad(grad(bump))
ts = torch.linspace(-3, 3, 301)
slopes, curvatures = vmap(d_bump)(ts), vmap(d2_bump)(ts)

h = 1e-5  # a second way: central differences of the function and of the derivative
fd_slopes = (bump(ts + h) - bump(ts - h)) / (2 * h)
fd_curvatures = (vmap(d_bump)(ts + h) - vmap(d_bump)(ts - h)) / (2 * h)
assert torch.allclose(slopes, fd_slopes, atol=1e-8) and torch.allclose(curvatures, fd_curvatures, atol=1e-7)

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(ts, bump(ts), label="f(t) = sin(3t) exp(-t²/2)")
ax.plot(ts, slopes, label="grad(f)")
ax.plot(ts, curvatures, label="grad(grad(f))", alpha=0.7)
ax.plot(ts[::15], fd_slopes[::15], "k.", label="central differences")
ax.set(xlabel="t", title="torch.func.grad composes")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# `torch.func` has the other transformations of JAX too: `jacrev` and `jacfwd` build a
# whole Jacobian from reverse or forward passes, and `hessian(f)` is `jacfwd(jacrev(f))`.
# Notebook 6 studies them (in JAX) and when each is cheaper; here is one check that they
# agree with the exact Hessian of $f(x, y) = \sin(x)\,y^2$:

# %% tags=["demo"]
from torch.func import hessian, jacrev


def f_xy(p):
    return torch.sin(p[0]) * p[1] ** 2


p_xy = torch.tensor([0.7, -1.3])
x0, y0 = 0.7, -1.3
exact = torch.tensor([[-np.sin(x0) * y0 ** 2, 2 * y0 * np.cos(x0)],
                      [2 * y0 * np.cos(x0), 2 * np.sin(x0)]])
assert torch.allclose(hessian(f_xy)(p_xy), exact) and torch.allclose(jacrev(jacrev(f_xy))(p_xy), exact)
print("hessian(f) at (0.7, -1.3):\n", hessian(f_xy)(p_xy).numpy())

# %% [markdown]
# ### `gradcheck`: a finite-difference test of autograd
#
# `torch.autograd.gradcheck(f, inputs)` compares the derivatives that autograd computes with
# central differences of `f` at the given float64 inputs, and raises an error if they
# disagree beyond a loose tolerance. It cannot be exact (notebook 1 showed why, notebook 5
# returns to checking gradients in depth), but it catches a derivative that is plainly
# wrong, such as one a misplaced `.detach()` cut:

# %% tags=["demo"]
from torch.autograd import gradcheck

point = (torch.tensor([0.7, -1.3], requires_grad=True),)
print("gradcheck of f(x, y) = sin(x) y**2:", gradcheck(f_xy, point))
try:
    gradcheck(lambda p: torch.sin(p[0]) * p[1] * p[1].detach(), point)
except RuntimeError as err:  # GradcheckError is a RuntimeError
    print("with one factor detached:", str(err).splitlines()[0])

# %% [markdown]
# ## Part 3. The RLC circuit in PyTorch, done properly
#
# Back to notebook 2: the charge $Q(t)$ of a circuit with resistance $R$, inductance $L$,
# capacitance $C = 2$ and a constant source $E = 60$ obeys
#
# $$L\,Q'' + R\,Q' + \frac{Q}{C} = E, \qquad Q(0) = Q'(0) = 0.$$
#
# We integrate the state $[Q', Q]$ with classic RK4 at the 200 times `linspace(0, 200, 200)`
# and fit $R, L$ to measured charges $\hat Q$ by minimising
# $\text{loss}(R, L) = \frac{1}{200}\sum_{i}\big(Q(t_i; R, L) - \hat Q_i\big)^2$.
#
# The RK4 code below uses only `+ - * /`, so the *same function* runs on floats, NumPy
# arrays, your `Var`, `Dual` numbers and PyTorch tensors. The measurements are those of
# notebook 2: SciPy's adaptive solver on the true circuit, $R = 1$, $L = 10$, plus noise of
# standard deviation 2.

# %% readonly="rlc_model"
C, E = 2.0, 60.0
TIMES = np.linspace(0.0, 200.0, 200)
DT = float(TIMES[1] - TIMES[0])
TRUE_R, TRUE_L = 1.0, 10.0


def rlc_rhs(dq, q, R, L):
    """Time derivative of the state [Q', Q]: from L Q'' + R Q' + Q/C = E."""
    return (E - R * dq - q / C) / L, dq


def rk4_charges(R, L):
    """[Q(t_0), ..., Q(t_199)] by classic RK4 with the constant step DT; any number type."""
    dq = q = 0.0 * R   # the start [0, 0] is the same for every R and L: its derivative is 0
    charges = [q]
    for _ in range(len(TIMES) - 1):
        a1, b1 = rlc_rhs(dq, q, R, L)
        a2, b2 = rlc_rhs(dq + DT / 2 * a1, q + DT / 2 * b1, R, L)
        a3, b3 = rlc_rhs(dq + DT / 2 * a2, q + DT / 2 * b2, R, L)
        a4, b4 = rlc_rhs(dq + DT * a3, q + DT * b3, R, L)
        dq, q = dq + DT / 6 * (a1 + 2 * a2 + 2 * a3 + a4), q + DT / 6 * (b1 + 2 * b2 + 2 * b3 + b4)
        charges.append(q)
    return charges


# the measurements of notebook 2: the exact solution at R = 1, L = 10 plus noise of size 2
measured = solve_ivp(lambda t, s: rlc_rhs(s[0], s[1], TRUE_R, TRUE_L), (0.0, 200.0), [0.0, 0.0],
                     t_eval=TIMES, method="DOP853", rtol=1e-10, atol=1e-10)
Qhat = measured.y[1] + np.random.default_rng(2024).normal(0.0, 2.0, TIMES.size)


def loss_value(R, L):
    """The loss for plain numbers (or NumPy arrays of R and L)."""
    return np.mean((np.array(rk4_charges(R, L)) - Qhat.reshape((-1,) + (1,) * np.ndim(R))) ** 2, axis=0)


# %% tags=["demo"]
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(TIMES, Qhat, "k.", ms=3, label="measured $\\hat Q$ (R = 1, L = 10)")
ax.plot(TIMES, rk4_charges(TRUE_R, TRUE_L), label="RK4 at R = 1, L = 10")
ax.plot(TIMES, rk4_charges(3.0, 6.0), label="RK4 at a first guess R = 3, L = 6")
ax.set(xlabel="t", ylabel="Q(t)", title="The RLC circuit: data and model")
ax.legend(fontsize=8)
plt.show()
print(f"loss at the truth: {loss_value(TRUE_R, TRUE_L):.2f} (about the noise variance, 4), "
      f"at the guess: {loss_value(3.0, 6.0):.1f}")

# %% [markdown]
# ### Exercise `torch_dloss`
#
# Write `torch_dloss(Qhat, R, L)`: the gradient $[\partial\,\text{loss}/\partial R,\ \partial\,\text{loss}/\partial L]$
# at the numbers `R`, `L`, by PyTorch autograd through `rk4_charges`, in float64.
#
# 1. Make `R` and `L` **leaf** tensors: `torch.tensor(R, dtype=torch.float64, requires_grad=True)`.
# 2. `torch.stack` the list that `rk4_charges` returns into one tensor of 200 charges, and
#    compute the mean squared difference with `Qhat` (a NumPy array: `torch.as_tensor(Qhat)`).
# 3. Call `backward()` and read the two leaves' `.grad`.
# 4. Return a NumPy array of two floats (`.item()` turns a one-number tensor into a float).

# %% answer="torch_dloss"
def torch_dloss(Qhat, R, L):
    """[d loss/dR, d loss/dL] of mean((Q(R, L) - Qhat)**2), by PyTorch reverse mode."""
    ### BEGIN SOLUTION
    R = torch.tensor(float(R), dtype=torch.float64, requires_grad=True)
    L = torch.tensor(float(L), dtype=torch.float64, requires_grad=True)
    Q = torch.stack(rk4_charges(R, L))
    loss = torch.mean((Q - torch.as_tensor(Qhat, dtype=torch.float64)) ** 2)
    loss.backward()
    return np.array([R.grad.item(), L.grad.item()])
    ### END SOLUTION


# %% test="test_torch_dloss"
got = torch_dloss(Qhat, 8.0, 5.0)
assert isinstance(got, np.ndarray) and got.shape == (2,), (
    f"torch_dloss should return a numpy array of two floats, got {type(got).__name__} "
    f"{getattr(got, 'shape', '')}: use np.array([R.grad.item(), L.grad.item()])")
h = 1e-5
fd = np.array([(loss_value(8.0 + h, 5.0) - loss_value(8.0 - h, 5.0)) / (2 * h),
               (loss_value(8.0, 5.0 + h) - loss_value(8.0, 5.0 - h)) / (2 * h)])
assert np.allclose(got, fd, rtol=1e-5), (
    f"torch_dloss(Qhat, 8, 5) should be close to the central differences {fd}, got {got}"
    + (": half of it; the derivative of (Q - Qhat)**2 has a factor 2" if np.allclose(2 * got, fd, rtol=1e-4) else "")
    + (": 200 times too big; take the mean, not the sum" if np.allclose(got, 200 * fd, rtol=1e-4) else "")
    + (": the sign is flipped; the residual is Q - Qhat" if np.allclose(-got, fd, rtol=1e-4) else "")
    + (": the two entries are swapped; return [dloss/dR, dloss/dL]" if np.allclose(got[::-1], fd, rtol=1e-4) else ""))
### BEGIN HIDDEN TESTS
from autograder.probes.pytorch import probe_torch_dloss

probe_torch_dloss(torch_dloss)
### END HIDDEN TESTS

# %% [markdown]
# ### The same gradient three ways
#
# Now the dual numbers of notebook 2, through the very same `rk4_charges`. One pass carries
# two tangents at once: $R$ is seeded with the direction $[1, 0]$, $L$ with $[0, 1]$, and the
# initial state (a constant) with $[0, 0]$. The loss is assembled from the dual charges, and
# its derivative part is the gradient. PyTorch and dual numbers compute the same numbers by
# different routes, so they must agree to rounding; central differences (step $10^{-5}$)
# keep only 8 to 10 digits.

# %% tags=["demo"]
def dual_dloss(Qhat, R, L):
    """[d loss/dR, d loss/dL] by forward mode: one pass, two tangent directions."""
    charges = rk4_charges(Dual(R, np.array([1.0, 0.0])), Dual(L, np.array([0.0, 1.0])))
    loss = sum((q - qh) ** 2 for q, qh in zip(charges, Qhat)) / len(charges)
    return loss.derivative


h = 1e-5
print(f"{'at (R, L)':<14}{'method':<16}{'dloss/dR':>22}{'dloss/dL':>22}")
for R0, L0 in [(8.0, 5.0), (1.5, 12.0), (0.8, 9.0)]:
    by_torch = torch_dloss(Qhat, R0, L0)
    by_dual = dual_dloss(Qhat, R0, L0)
    by_fd = np.array([(loss_value(R0 + h, L0) - loss_value(R0 - h, L0)) / (2 * h),
                      (loss_value(R0, L0 + h) - loss_value(R0, L0 - h)) / (2 * h)])
    rel = np.max(np.abs(by_torch - by_dual)) / np.max(np.abs(by_dual))
    assert rel < 1e-10, f"PyTorch and dual numbers disagree at {(R0, L0)}: relative difference {rel:.1e}"
    assert np.allclose(by_fd, by_dual, rtol=1e-6), f"central differences disagree at {(R0, L0)}"
    for name, g in [("PyTorch", by_torch), ("dual numbers", by_dual), ("central diff.", by_fd)]:
        print(f"{str((R0, L0)) if name == 'PyTorch' else '':<14}{name:<16}{g[0]:>22.14g}{g[1]:>22.14g}")
    print(f"{'':<14}PyTorch and dual numbers differ by {rel:.1e}, relative\n")

# %% [markdown]
# With two parameters, forward mode needs only one pass with two-entry tangents, so here
# reverse mode brings no speed, only convenience. The picture changes with the number of
# parameters: a neural network has millions, and then one reverse pass replaces millions of
# forward passes.
#
# ### Exercise `sgd_step`: updating a parameter tensor correctly
#
# To fit $R$ and $L$, keep them in **one leaf tensor** `params = torch.tensor([R, L],
# requires_grad=True)` that lives across the iterations. Each iteration computes the loss
# from `params`, calls `backward()`, and steps. The step has two pitfalls:
#
# - `params = params - lr * params.grad` builds a *new*, non-leaf tensor: it is part of the
#   graph, has no `.grad` of its own after the next `backward()`, and the graph grows with
#   every iteration. The update itself must not be recorded: do it **in place**
#   (`params -= ...`) inside `with torch.no_grad():`.
# - `.grad` accumulates, so the step must also clear it.
#
# Write `sgd_step(params, lr)`: one gradient-descent step on the leaf tensor `params`, in
# place, using `params.grad`; then clear the gradient (`params.grad = None` or
# `params.grad.zero_()`). `lr` is a float, or (below) a tensor with one rate per entry of
# `params`. The function returns nothing (`None`).

# %% answer="sgd_step"
def sgd_step(params, lr):
    """params <- params - lr * params.grad, in place and unrecorded; then clear params.grad."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        params -= lr * params.grad
    params.grad = None
    ### END SOLUTION


# %% test="test_sgd_step"
p = torch.tensor([1.0, -2.0], requires_grad=True)
(p ** 2).sum().backward()               # gradient 2 p = [2, -4]
sgd_step(p, 0.1)
assert torch.allclose(p.detach(), torch.tensor([0.8, -1.6])), (
    f"after one step p should be [0.8, -1.6], got {p.detach().tolist()}"
    + (": p did not change; update it in place (p -= ...), rebinding the name changes nothing outside"
       if torch.allclose(p.detach(), torch.tensor([1.0, -2.0])) else ""))
assert p.is_leaf and p.requires_grad, "p must stay a leaf that requires grad: update it under torch.no_grad()"
assert p.grad is None or torch.all(p.grad == 0), "clear p.grad after the step, or the next backward() adds to it"
(p ** 2).sum().backward()
sgd_step(p, 0.1)
assert torch.allclose(p.detach(), torch.tensor([0.64, -1.28])), (
    f"after a second step p should be [0.64, -1.28], got {p.detach().tolist()}: was the gradient cleared?")
### BEGIN HIDDEN TESTS
from autograder.probes.pytorch import probe_sgd_step

probe_sgd_step(sgd_step)
### END HIDDEN TESTS

# %% [markdown]
# And the first pitfall, in two lines: `p - lr * p.grad` outside `no_grad` is recorded, so
# its result is no longer a leaf but a node of the graph, with a `grad_fn`. The next
# `backward()` would fill the `.grad` of the old leaf, not of this tensor.

# %% tags=["demo"]
p = torch.tensor([1.0, -2.0], requires_grad=True)
(p ** 2).sum().backward()
p_wrong = p - 0.1 * p.grad
print("p - lr * p.grad: is_leaf =", p_wrong.is_leaf, ", grad_fn =", p_wrong.grad_fn)

# %% [markdown]
# ### The curvature of the loss
#
# How large a step can gradient descent take? That depends on the curvature of the loss,
# its Hessian. With the loss as a function of one tensor `params = [R, L]`, `torch.func`
# gives it as the Jacobian of the gradient, `jacrev(jacrev(rlc_loss))` (two reverse sweeps;
# `hessian`'s forward-over-reverse is slower through this Python loop). We check it against
# central differences of `torch_dloss`, and the Jacobian of the 200 charges, built by
# `jacrev` from 200 reverse passes, against one forward pass of vector duals.

# %% tags=["demo"]
from torch.func import jacrev


def rlc_loss(params):
    """The loss as a tensor, from a tensor params = [R, L]."""
    return torch.mean((torch.stack(rk4_charges(params[0], params[1])) - torch.as_tensor(Qhat)) ** 2)


truth = np.array([TRUE_R, TRUE_L])
curvature = jacrev(jacrev(rlc_loss))(torch.tensor(truth)).numpy()
h = 1e-5
by_fd = np.array([(torch_dloss(Qhat, *(truth + h * e)) - torch_dloss(Qhat, *(truth - h * e))) / (2 * h)
                  for e in np.eye(2)])
assert np.allclose(curvature, by_fd, rtol=1e-6, atol=1e-6), "the Hessian and central differences disagree"

sensitivities = jacrev(lambda p: torch.stack(rk4_charges(p[0], p[1])))(torch.tensor(truth)).numpy()
duals = rk4_charges(Dual(TRUE_R, np.array([1.0, 0.0])), Dual(TRUE_L, np.array([0.0, 1.0])))
assert np.allclose(sensitivities, [q.derivative for q in duals], rtol=1e-10, atol=1e-10)
print(f"Jacobian of the charges: shape {sensitivities.shape}, equal to the dual numbers' to rounding")
print(f"Hessian of the loss at (R, L) = (1, 10):\n{curvature}")
print(f"curvature in R / curvature in L = {curvature[0, 0] / curvature[1, 1]:.0f}")

# %% [markdown]
# ### The fit
#
# The loss is about 25 times more curved in $R$ than in $L$, and the off-diagonal entry is
# small. One learning rate small enough for $R$ crawls in $L$, so we give each parameter
# its own rate, near the inverse of its curvature. `sgd_step` needs no change for that:
# `lr * params.grad` works as well with a tensor of two rates.

# %% tags=["demo"]
def fit(params0, lr, steps):
    params = torch.tensor(params0, requires_grad=True)   # the one leaf tensor we update
    path, losses = [params.detach().clone()], []
    for _ in range(steps):
        loss = rlc_loss(params)
        loss.backward()
        sgd_step(params, lr)
        path.append(params.detach().clone())
        losses.append(loss.item())
    return torch.stack(path).numpy(), np.array(losses)


P0 = [3.0, 6.0]  # the starting guess (R, L) of notebook 2
RATES = torch.tensor([3e-3, 5e-2])  # one learning rate for R, one for L
path, losses = fit(P0, RATES, 15)
print(f"after {len(losses)} steps: R = {path[-1, 0]:.5f}, L = {path[-1, 1]:.5f}, "
      f"loss = {loss_value(path[-1, 0], path[-1, 1]):.4f}")
# the noise moves the best fit a little away from the truth: to about R = 1.003, L = 9.95
assert abs(path[-1, 0] - TRUE_R) < 0.02 and abs(path[-1, 1] - TRUE_L) < 0.1, "the fit should get close to R = 1, L = 10"

# %% [markdown]
# `torch.optim` packages the same loop: `opt.zero_grad()` clears the gradients and
# `opt.step()` updates in place without recording (separate rates need separate tensors in
# "parameter groups"). With one rate, plain SGD retraces `sgd_step` exactly:

# %% tags=["demo"]
mine = torch.tensor(P0, requires_grad=True)
theirs = torch.tensor(P0, requires_grad=True)
opt = torch.optim.SGD([theirs], lr=3e-3)
for _ in range(2):
    rlc_loss(mine).backward()
    sgd_step(mine, 3e-3)
    opt.zero_grad()
    rlc_loss(theirs).backward()
    opt.step()
    assert torch.allclose(mine, theirs, rtol=1e-12, atol=0), "torch.optim.SGD should retrace sgd_step"
print("after 2 steps, sgd_step:", mine.detach().numpy(), "  torch.optim.SGD:", theirs.detach().numpy())

# %% tags=["demo"]
R_grid, L_grid = np.meshgrid(np.linspace(0.3, 5.0, 60), np.linspace(3.0, 14.0, 60))
loss_grid = loss_value(R_grid, L_grid)   # RK4 on whole arrays of R and L at once

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
cs = ax1.contourf(R_grid, L_grid, np.log10(loss_grid + 1e-3), levels=30, cmap="viridis")
fig.colorbar(cs, ax=ax1, label="log10 loss")
ax1.plot(path[:, 0], path[:, 1], "r.-", ms=4, label="gradient descent")
ax1.plot(TRUE_R, TRUE_L, "*", color="orange", ms=14, label="truth R = 1, L = 10")
ax1.set(xlabel="R", ylabel="L", title="The path of the fit")
ax1.legend(fontsize=8)
ax2.plot(TIMES, Qhat, "k.", ms=3, label="measured")
ax2.plot(TIMES, rk4_charges(path[0, 0], path[0, 1]), label="first guess")
ax2.plot(TIMES, rk4_charges(path[-1, 0], path[-1, 1]), label=f"after {len(losses)} steps")
ax2.set(xlabel="t", ylabel="Q(t)", title="Model against data")
ax2.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# The contours show the valley: steep across, nearly flat along. Move the sliders to feel
# the landscape: the title shows the loss and the gradient that PyTorch computes there.

# %% tags=["demo"]
def show_fit(R, L):
    gradient = torch_dloss(Qhat, R, L)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(TIMES, Qhat, "k.", ms=3, label="measured")
    ax.plot(TIMES, rk4_charges(R, L), label=f"RK4 at R = {R:.2f}, L = {L:.2f}")
    ax.set(xlabel="t", ylabel="Q(t)", ylim=(-10, 250),
           title=f"loss {loss_value(R, L):.3g},  gradient [{gradient[0]:.3g}, {gradient[1]:.3g}]")
    ax.legend(fontsize=8, loc="lower right")
    plt.show()


R_slider = widgets.FloatSlider(value=3.0, min=0.3, max=8.0, step=0.1, description="R")
L_slider = widgets.FloatSlider(value=6.0, min=3.0, max=14.0, step=0.1, description="L")
display(widgets.VBox([widgets.HBox([R_slider, L_slider]),
                      widgets.interactive_output(show_fit, {"R": R_slider, "L": L_slider})]))

# %% [markdown]
# ### Your `Var` on the same problem
#
# Your reverse-mode engine runs through `rk4_charges` too. With the `Var` of the solution,
# the graph of the loss has about 19,000 nodes and is almost 6,000 deep: this is where a
# recursive `backward()` would give up. It gives PyTorch's gradient:

# %% tags=["demo"]
R_var, L_var = Var(8.0), Var(5.0)
charges = rk4_charges(R_var, L_var)
loss_var = sum((q - qh) ** 2 for q, qh in zip(charges, Qhat)) / len(charges)
try:
    loss_var.backward()
except RecursionError:
    raise RuntimeError("your backward() calls itself once per node: see the self-check of var_deep_graphs") from None
by_var, by_torch = np.array([R_var.grad, L_var.grad]), torch_dloss(Qhat, 8.0, 5.0)
print("Var:    ", by_var)
print("PyTorch:", by_torch)
assert np.allclose(by_var, by_torch, rtol=1e-10), "your Var and PyTorch should agree on the RLC gradient"

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
    {"question": "A loss depends on 10,000 parameters. How many reverse-mode passes give its full gradient?",
     "type": "numeric", "precision": 5,
     "answers": [{"type": "value", "value": 1, "correct": True,
                  "feedback": "Right: one reverse pass per output, and the loss is one output."},
                 {"type": "value", "value": 10000, "correct": False,
                  "feedback": "That is forward mode: one pass per input."},
                 {"type": "default", "feedback": "Reverse mode needs one pass per output."}]},
    {"question": "You want dQ(t_i)/dR and dQ(t_i)/dL at all 200 times. Which mode needs fewer passes?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "forward mode: 2 passes", "correct": True,
          "feedback": "Right: two inputs, 200 outputs. Forward mode needs one pass per input."},
         {"answer": "reverse mode: 1 pass", "correct": False,
          "feedback": "Reverse mode needs one pass per output: 200 here."},
         {"answer": "the same either way", "correct": False,
          "feedback": "Count inputs (2) and outputs (200)."}]},
    {"question": "x = Var(3.0); z = x * x; z.backward(). What is x.grad?",
     "type": "numeric", "precision": 3,
     "answers": [{"type": "value", "value": 6, "correct": True,
                  "feedback": "Right: both uses of x contribute 3, and they add up."},
                 {"type": "value", "value": 3, "correct": False,
                  "feedback": "That is what a Var gives that overwrites .grad instead of adding to it."},
                 {"type": "default", "feedback": "d(x*x)/dx = 2x."}]},
    {"question": "w = torch.tensor(2.0, requires_grad=True). You run (w**2).backward() twice. What is w.grad?",
     "type": "numeric", "precision": 3,
     "answers": [{"type": "value", "value": 8, "correct": True,
                  "feedback": "Right: 4 + 4. backward() adds to .grad until you clear it."},
                 {"type": "value", "value": 4, "correct": False,
                  "feedback": "Only if .grad is cleared between the calls."},
                 {"type": "default", "feedback": "Each backward() adds 2w = 4."}]},
    {"question": "A chain of n operations runs forward. Which mode's memory grows with n before the derivative is known?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "reverse mode: it keeps the graph until backward()", "correct": True,
          "feedback": "Right: the tape holds every node (PyTorch: the tensors each backward rule needs)."},
         {"answer": "forward mode: it carries a derivative with every value", "correct": False,
          "feedback": "It carries one, but forgets each value once the next exists: its memory stays flat."},
         {"answer": "neither", "correct": False, "feedback": "Look at the memory plot of Part 1."}]},
    {"question": "u = torch.tensor(3.0, requires_grad=True). What is the gradient of u * u.detach() with respect to u?",
     "type": "numeric", "precision": 3,
     "answers": [{"type": "value", "value": 3, "correct": True,
                  "feedback": "Right: the detached factor is a constant 3 to autograd."},
                 {"type": "value", "value": 6, "correct": False,
                  "feedback": "That is d(u * u)/du; detach() cuts the second factor out of the graph."},
                 {"type": "default", "feedback": "A detached tensor counts as a constant."}]},
    {"question": "Why update parameters in place inside torch.no_grad()?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "So that the update is not recorded and the parameters stay leaf tensors", "correct": True,
          "feedback": "Right: otherwise the parameters become nodes of an ever-growing graph."},
         {"answer": "To make the step faster on the GPU", "correct": False,
          "feedback": "Speed is a side effect; the point is what the graph records."},
         {"answer": "Because no_grad clears .grad", "correct": False,
          "feedback": "It does not: you still clear .grad yourself (or call optimizer.zero_grad())."}]},
])

# %% [markdown]
# ## Summary
#
# - Reverse mode records the graph of a computation, then sweeps it backward from the
#   output: each node's adjoint is the **sum** over its users, and the sweep visits nodes in
#   **reverse topological order**.
# - It needs one pass per output, forward mode one per input: reverse wins for many inputs
#   and few outputs (a loss and its parameters), forward for few inputs and many outputs.
# - Reverse mode keeps the graph until the backward sweep: its memory grows with the
#   program, and `backward()` must not recurse once per node.
# - PyTorch: `requires_grad` makes a leaf, `backward()` adds into the leaves' `.grad` (clear
#   it between steps) and frees the graph (`retain_graph=True` keeps it), `.detach()` cuts a
#   tensor out of the graph, `torch.autograd.grad` returns gradients, `torch.func` transforms
#   functions (`grad`, `jacrev`, `hessian`), and `gradcheck` tests autograd against finite
#   differences.
# - Parameters are one leaf tensor, updated in place under `torch.no_grad()` or by
#   `torch.optim`; then PyTorch, dual numbers and your own `Var` give the same RLC gradient.
#
# Next: JAX, where `grad` transforms functions, `jit` compiles them and `lax.scan` makes the
# RK4 loop fast.
