# %% [markdown]
# # 5. A small network and logistic regression, trained with JAX gradients
#
# *Automatic differentiation, from dual numbers to JAX* · notebook 5 of 6
#
# Training a model is a loop: evaluate a loss, take its gradient with respect to every
# parameter, step downhill. JAX supplies the gradient; everything else you write yourself
# here, so that nothing is hidden.
#
# You will:
# 1. write a one-hidden-layer neural network, fit it to noisy samples of a curve with
#    hand-written gradient steps, and see what width and depth change;
# 2. write logistic regression and its loss, and take gradients with respect to separate
#    arguments and to a dictionary of parameters;
# 3. check gradients against finite differences, and see why such checks need float64.
#
# **How to work.** Run the cells from top to bottom. Cells marked *Exercise* contain
# `raise NotImplementedError(...)`: replace that line with your code. The cell after each
# exercise is a self-check; if an `assert` fails, its message says what to look at. Hidden
# tests then try your functions on inputs you have not seen.

# %% readonly="setup"
from functools import partial

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from tqdm.auto import tqdm

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree
from jax.test_util import check_grads

jax.config.update("jax_enable_x64", True)  # float64 by default: Part 3 shows why it matters

# %% [markdown]
# ## Part 1. A one-hidden-layer network
#
# ### Gradients with respect to a dictionary
#
# `jax.grad(f)` differentiates `f` with respect to its first argument, and that argument may
# be a *pytree*: any nesting of dicts, lists and tuples with arrays at the leaves. The
# gradient comes back with the same structure, one entry per leaf. For $z = xy$:

# %% tags=["demo"]
def z(p):
    return p["x"] * p["y"]


by_dict = jax.grad(z)({"x": 1.0, "y": 2.0})
by_argnums = jax.grad(lambda x, y: x * y, argnums=(0, 1))(1.0, 2.0)  # the same, as a tuple
print("by dict:   ", {k: float(v) for k, v in by_dict.items()})
print("by argnums:", tuple(float(g) for g in by_argnums))
assert np.isclose(by_dict["x"], 2.0) and np.isclose(by_dict["y"], 1.0)  # dz/dx = y, dz/dy = x
assert np.allclose([by_dict["x"], by_dict["y"]], by_argnums)

# %% [markdown]
# A network has many parameter arrays. Keeping them in one dict lets a single `jax.grad`
# call return every gradient, labelled by the same names.
#
# ### The model
#
# One hidden layer of $H$ units with the activation $\tanh$:
#
# $$\hat Y = \tanh(X W_1 + b_1)\, W_2 + b_2 .$$
#
# | array | shape | meaning |
# |---|---|---|
# | `X` | $(N, d_\text{in})$ | $N$ inputs, one per row |
# | `W1`, `b1` | $(d_\text{in}, H)$, $(H,)$ | weights and biases of the hidden layer |
# | `W2`, `b2` | $(H, d_\text{out})$, $(d_\text{out},)$ | weights and bias of the output layer |
# | $\hat Y$ | $(N, d_\text{out})$ | one prediction per row |
#
# The biases are added to every row (broadcasting) and $\tanh$ acts on each entry. Here
# $d_\text{in} = d_\text{out} = 1$, but write the function for any sizes.
#
# ### Exercise `my_nn`
#
# Write the forward pass with `jax.numpy` (`jnp.tanh`, `@`), so that JAX can differentiate
# it. Return the full `(N, d_out)` array: do not squeeze it to `(N,)`.

# %% answer="my_nn"
def myNN(params, X):
    """tanh(X @ W1 + b1) @ W2 + b2 for params = {"W1", "b1", "W2", "b2"}; shape (N, d_out)."""
    ### BEGIN SOLUTION
    hidden = jnp.tanh(X @ params["W1"] + params["b1"])
    return hidden @ params["W2"] + params["b2"]
    ### END SOLUTION


# %% test="test_my_nn" points=3
# Two hidden units, worked by hand: at x = 0 the hidden layer is (tanh 0, tanh 0.5).
params_check = {"W1": jnp.array([[1.0, -2.0]]), "b1": jnp.array([0.0, 0.5]),
                "W2": jnp.array([[3.0], [1.0]]), "b2": jnp.array([-0.5])}
X_check = jnp.array([[0.0], [1.0]])
got = myNN(params_check, X_check)
want = np.array([[3 * np.tanh(0.0) + np.tanh(0.5) - 0.5],
                 [3 * np.tanh(1.0) + np.tanh(-1.5) - 0.5]])
assert np.shape(got) == (2, 1), (
    f"myNN should return shape (N, d_out) = (2, 1), got {np.shape(got)}: keep the 2-D shape")
assert np.allclose(got, want, rtol=1e-12), (
    f"myNN should give {want.ravel()}, got {np.ravel(got)}: compute tanh(X @ W1 + b1) @ W2 + b2"
    + (" (tanh goes on the hidden layer only)" if np.allclose(got, np.tanh(want)) else ""))
### BEGIN HIDDEN TESTS
from autograder.probes.mlp_logistic import probe_my_nn
probe_my_nn(myNN)
### END HIDDEN TESTS

# %% [markdown]
# ### Random initial parameters
#
# JAX has no hidden random state. A random function takes a **key** and always returns the
# same numbers for the same key:

# %% tags=["demo"]
key = jax.random.key(0)
print(jax.random.normal(key, (3,)))
print(jax.random.normal(key, (3,)), "<- the same key, the same numbers")
key_a, key_b = jax.random.split(key)
print(jax.random.normal(key_a, (3,)), "and", jax.random.normal(key_b, (3,)), "<- split keys")

# %% [markdown]
# So every array that should be independent gets its own key, made with
# `jax.random.split`. Drawn with one key, `W1`, `b1` and `W2` below would hold the same 32
# numbers (`W2` divided by $\sqrt H$). Reproducibility comes free: the same starting key
# gives the same network.
#
# The output weights are divided by $\sqrt H$. The output sums $H$ terms, so without the
# factor its spread at the start would grow like $\sqrt H$ with the width.

# %%
def init_params(key, n_hidden, d_in=1, d_out=1):
    """Random parameters for myNN: normal weights and hidden biases, zero output bias."""
    w1_key, b1_key, w2_key = jax.random.split(key, 3)
    return {"W1": jax.random.normal(w1_key, (d_in, n_hidden)),
            "b1": jax.random.normal(b1_key, (n_hidden,)),
            "W2": jax.random.normal(w2_key, (n_hidden, d_out)) / jnp.sqrt(n_hidden),
            "b2": jnp.zeros(d_out)}


# %% [markdown]
# ### The curve to learn, and noisy batches of it
#
# The target is $f(x) = x^3 - 0.3x^4 - 2\sin x$ on $[-1.5, 3.5]$. The network never sees
# $f$ itself, only batches of samples $(x, f(x) + \text{noise})$, a fresh batch each step.
# `jax.jit` traces `make_batch` once for each batch size `n` (a static argument: its value
# is built into the compiled program) and runs the compiled version for every new key.

# %%
def f(x):
    return x ** 3 - 0.3 * x ** 4 - 2 * jnp.sin(x)


X_RANGE = (-1.5, 3.5)
NOISE = 0.1


@partial(jax.jit, static_argnames="n")
def make_batch(key, n=32):
    """n noisy samples: x uniform on X_RANGE, y = f(x) + NOISE * normal; both of shape (n, 1)."""
    x_key, noise_key = jax.random.split(key)
    x = jax.random.uniform(x_key, (n, 1), minval=X_RANGE[0], maxval=X_RANGE[1])
    return x, f(x) + NOISE * jax.random.normal(noise_key, (n, 1))


params = init_params(jax.random.key(1), n_hidden=32)
params_untrained = params
X_batch, y_batch = make_batch(jax.random.key(2))
xx = jnp.linspace(*X_RANGE, 201)[:, None]

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(xx, f(xx), lw=2, label="f(x)")
ax.plot(X_batch, y_batch, "x", color="crimson", label="one batch of 32 noisy samples")
ax.plot(xx, myNN(params_untrained, xx), color="gray", label="untrained network, H = 32")
ax.set(xlabel="x", ylabel="y", title="Before training")
ax.legend()
plt.show()

# %% [markdown]
# ### The loss and one gradient step
#
# The loss is the mean squared error over a batch (locked cell):

# %% readonly="mse_loss"
def mse_loss(params, X, y):
    """Mean of (myNN(params, X) - y)**2 over every entry."""
    return jnp.mean((myNN(params, X) - y) ** 2)


# %% [markdown]
# Gradient descent moves every parameter a small step against its gradient,
#
# $$\theta \leftarrow \theta - \alpha\, \frac{\partial L}{\partial \theta}
# \qquad \text{for } \theta \in \{W_1, b_1, W_2, b_2\},$$
#
# with the learning rate $\alpha$. `jax.value_and_grad(mse_loss)` returns the loss and the
# gradient dict in one pass.
#
# ### Exercise `sgd_step`
#
# Return `(new_params, loss)`: a **new** dict with the same keys after one step, and the
# loss at the old parameters (the value `value_and_grad` gives you). Do not change `params`
# in place. A dict comprehension works, and so does
# `jax.tree.map(lambda p, g: p - lr * g, params, grads)`, which pairs up the leaves of two
# pytrees of the same structure.

# %% answer="sgd_step"
def sgd_step(params, X, y, lr):
    """One gradient-descent step on mse_loss: returns (new_params, loss at params)."""
    ### BEGIN SOLUTION
    loss, grads = jax.value_and_grad(mse_loss)(params, X, y)
    new_params = {name: params[name] - lr * grads[name] for name in params}
    return new_params, loss
    ### END SOLUTION


# %% test="test_sgd_step" points=2
params_check = init_params(jax.random.key(42), n_hidden=32)
X_check, y_check = make_batch(jax.random.key(7))
new, loss_before = sgd_step(params_check, X_check, y_check, 0.01)
assert isinstance(new, dict) and set(new) == {"W1", "b1", "W2", "b2"}, (
    "sgd_step should return (new_params, loss), with new_params a dict of W1, b1, W2, b2")
assert np.isclose(loss_before, mse_loss(params_check, X_check, y_check)), (
    "the second value should be mse_loss(params, X, y) at the parameters before the step")
loss_after = mse_loss(new, X_check, y_check)
assert loss_after < loss_before, (
    f"a small step should lower the loss, but it went from {loss_before:.4f} to {loss_after:.4f}: "
    "step against the gradient, params - lr * grads")
# A second derivation for one gradient: dL/db2 = 2 * mean(residual), by hand.
db2 = 2 * jnp.mean(myNN(params_check, X_check) - y_check)
assert np.allclose((params_check["b2"] - new["b2"]) / 0.01, db2, rtol=1e-8), (
    f"b2 should move by -lr * dL/db2 = {-0.01 * np.ravel(db2)}, it moved by "
    f"{np.ravel(new['b2'] - params_check['b2'])}: subtract lr times each parameter's own gradient")
### BEGIN HIDDEN TESTS
from autograder.probes.mlp_logistic import probe_sgd_step
probe_sgd_step(sgd_step)
### END HIDDEN TESTS

# %% [markdown]
# ### The training loop
#
# `jax.jit(sgd_step)` traces and compiles the step (forward pass, backward pass and update)
# the first time it runs; every later call with the same shapes and dtypes reuses the
# compiled code. Each step draws a fresh batch with a fresh key.

# %% tags=["demo"]
STEPS, LEARNING_RATE = 3000, 0.05
step = jax.jit(sgd_step)

params = params_untrained
key = jax.random.key(3)
losses, batches = [], []
for _ in tqdm(range(STEPS), desc="training", mininterval=1.0):
    key, batch_key = jax.random.split(key)
    X_batch, y_batch = make_batch(batch_key)
    params, loss = step(params, X_batch, y_batch, LEARNING_RATE)
    losses.append(loss)
    batches.append((X_batch, y_batch))  # kept for the width and depth experiment below
losses = np.asarray(losses)
params_trained = params

# %% [markdown]
# Each point of the loss curve comes from a different batch, so the curve is noisy; a
# running mean shows the trend. The noise in the targets has variance $0.1^2 = 0.01$: no
# network can bring the mean squared error on fresh samples below that.

# %% tags=["demo"]
running = np.convolve(losses, np.ones(50) / 50, mode="valid")
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.semilogy(losses, alpha=0.3, label="loss of each batch")
ax.semilogy(np.arange(49, STEPS), running, label="running mean of 50")
ax.axhline(NOISE ** 2, color="k", ls=":", label="noise variance")
ax.set(xlabel="iteration", ylabel="mean squared error", title="Training loss")
ax.legend()
plt.show()

# %% tags=["demo"]
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(xx, f(xx), lw=2, label="f(x)")
ax.plot(xx, myNN(params_untrained, xx), color="gray", label="before training")
ax.plot(xx, myNN(params_trained, xx), color="green", lw=2, ls="--", label="after training")
ax.set(xlabel="x", ylabel="y", title="The fit, before and after")
ax.legend()
plt.show()
grid_error = float(jnp.mean((myNN(params_trained, xx) - f(xx)) ** 2))
print(f"mean squared error against f on a grid: {grid_error:.4f}")

# %% [markdown]
# ### Width and depth
#
# How many hidden units are enough, and does a second hidden layer help? Below, networks
# with one or two hidden layers of 1 to 32 units are trained with the same step size on the
# same 3000 batches as above, twice over.
#
# One trick makes this fast. Every width is stored in arrays of the largest width, and the
# units that do not exist get all their weights in and out set to zero. Such a unit outputs
# $\tanh(0) = 0$, and every gradient that reaches its weights is multiplied by either its
# output or its outgoing weights, both zero: it stays switched off for ever. So all widths
# train side by side as one stack of arrays, with `jax.vmap`, in one compiled `lax.scan`
# loop per depth.

# %% tags=["demo"]
WIDTHS = (1, 2, 4, 8, 16, 32)
DEPTHS = (1, 2)


def init_padded(rng, depth):
    """Starting layers [(W, b), ...] of a tanh net with `depth` hidden layers, for every width
    in WIDTHS, stacked along a first axis and padded with switched-off units to max(WIDTHS).
    NumPy draws the numbers: one-off arrays need no compiling."""
    size = max(WIDTHS)
    sizes = [1] + [size] * depth + [1]
    shared = [(rng.normal(size=(m, n)), rng.normal(size=n)) for m, n in zip(sizes[:-1], sizes[1:])]
    nets = []
    for width in WIDTHS:
        alive = [np.ones(1)] + [np.arange(size) < width] * depth + [np.ones(1)]
        nets.append([(W * np.outer(alive[i], alive[i + 1]) / np.sqrt(1 if i == 0 else width),
                      b * alive[i + 1] * (i < depth))  # the output bias starts at 0
                     for i, (W, b) in enumerate(shared)])
    return jax.tree.map(lambda *leaves: np.stack(leaves), *nets)


def deep_nn(layers, X):
    """tanh hidden layers, then a linear output layer (with one hidden layer: myNN)."""
    for W, b in layers[:-1]:
        X = jnp.tanh(X @ W + b)
    W, b = layers[-1]
    return X @ W + b


@jax.jit
def fit_all_widths(layers, X_batches, y_batches, lr=0.05):
    """Train the stacked nets side by side, one step per batch; return each net's fit on xx."""
    def one_step(layers, X, y):
        grads = jax.grad(lambda L: jnp.mean((deep_nn(L, X) - y) ** 2))(layers)
        return jax.tree.map(lambda p, g: p - lr * g, layers, grads)

    def scan_body(layers, batch):
        return jax.vmap(one_step, in_axes=(0, None, None))(layers, *batch), None

    layers, _ = jax.lax.scan(scan_body, layers, (X_batches, y_batches))
    return jax.vmap(deep_nn, in_axes=(0, None))(layers, xx)


X_batches = np.concatenate([np.stack([X for X, _ in batches])] * 2)  # 6000 batches of 32
y_batches = np.concatenate([np.stack([y for _, y in batches])] * 2)
rng = np.random.default_rng(5)
f_grid = np.asarray(f(xx))
fits, final_error = {}, {}
for depth in DEPTHS:
    for width, fit in zip(WIDTHS, np.asarray(fit_all_widths(init_padded(rng, depth), X_batches, y_batches))):
        fits[width, depth] = fit
        final_error[width, depth] = np.mean((fit - f_grid) ** 2)
print("mean squared error against f after 6000 steps")
print(f"{'width':<17}" + "".join(f"{w:>8d}" for w in WIDTHS))
for depth in DEPTHS:
    print(f"{f'{depth} hidden layer(s)':<17}" + "".join(f"{final_error[w, depth]:8.3f}" for w in WIDTHS))

# %% [markdown]
# The padding trick is itself checked: the padded net of width 4 must compute what `myNN`
# computes with its four live units only.

# %% tags=["demo"]
padded = jax.tree.map(lambda a: a[WIDTHS.index(4)], init_padded(np.random.default_rng(0), 1))
live = {"W1": padded[0][0][:, :4], "b1": padded[0][1][:4], "W2": padded[1][0][:4], "b2": padded[1][1]}
assert np.allclose(deep_nn(padded, xx), myNN(live, xx), rtol=1e-12)
assert not padded[0][0][:, 4:].any() and not padded[1][0][4:].any()  # the other units are off

# %% tags=["demo"]
def show_fit(width, depth):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [3, 2]})
    ax1.plot(xx, f(xx), lw=2, label="f(x)")
    ax1.plot(xx, fits[width, depth], "--", lw=2, color="green", label=f"{depth} hidden layer(s) of {width} units")
    ax1.set(xlabel="x", ylim=(-4.5, 4), title="The trained network")
    ax1.legend(loc="lower center")
    for d in DEPTHS:
        ax2.loglog(WIDTHS, [final_error[w, d] for w in WIDTHS], "o-", label=f"{d} hidden layer(s)")
    ax2.plot([width], [final_error[width, depth]], "o", ms=12, mfc="none", color="red")
    ax2.set(xlabel="width", ylabel="mean squared error against f", title="After 6000 steps")
    ax2.legend(fontsize=8)
    plt.tight_layout()
    plt.show()


width_slider = widgets.SelectionSlider(options=WIDTHS, value=4, description="width")
depth_buttons = widgets.ToggleButtons(options=DEPTHS, value=1, description="hidden layers")
display(widgets.VBox([widgets.HBox([width_slider, depth_buttons]),
                      widgets.interactive_output(show_fit, {"width": width_slider, "depth": depth_buttons})]))

# %% [markdown]
# With one or two units the network cannot bend enough to follow the curve, whatever the
# depth. Eight units in one layer fit well; with two layers, four units already do. Past
# that, a wider single layer gains nothing in 6000 plain gradient steps (its error stays
# near 0.02), while two layers keep improving slowly, to under 0.01 at 32 units. Thirty-two
# tanh units can follow this curve far more closely than that: what limits the single layer
# is the optimiser, plain gradient steps on noisy batches, not its capacity.
#
# ## Part 2. Logistic regression
#
# Four examples with three features each, and a yes/no label (1 or 0) for each:

# %%
inputs = jnp.array([[0.52, 1.12, 0.77],
                    [0.88, -1.08, 0.15],
                    [0.52, 0.06, -1.30],
                    [0.74, -2.49, 1.39]])
targets = jnp.array([1.0, 1.0, 0.0, 1.0])

# %% [markdown]
# The model gives each example the probability that its label is 1,
#
# $$p_i = \sigma(x_i \cdot W + b), \qquad \sigma(z) = \frac{1}{1 + e^{-z}},$$
#
# and the loss is the **negative log-likelihood**, minus the log of the probability the
# model gives to the labels actually seen:
#
# $$L(W, b) = -\sum_i \big[\, y_i \log p_i + (1 - y_i) \log(1 - p_i) \,\big].$$
#
# For each example only one of the two terms is non-zero. The loss is a **sum** over
# examples here, not a mean.
#
# ### Exercise `predict` and `nll_loss`
#
# `W` has shape `(d,)`, `b` is a scalar, `inputs` has shape `(N, d)` and `targets` shape
# `(N,)` of 0.0 and 1.0. `predict` returns the `N` probabilities. Use `jax.nn.sigmoid` or
# write $\sigma$ yourself with `jnp.exp`.

# %% answer="predict"
def predict(W, b, inputs):
    """Probabilities sigmoid(inputs @ W + b), shape (N,)."""
    ### BEGIN SOLUTION
    return jax.nn.sigmoid(inputs @ W + b)
    ### END SOLUTION


# %% test="test_predict" points=1
got = predict(jnp.zeros(3), 0.0, inputs)
assert np.shape(got) == (4,), f"predict should return one probability per example, shape (4,), got {np.shape(got)}"
assert np.allclose(got, 0.5), f"with W = 0 and b = 0 every probability is sigmoid(0) = 0.5, got {got}"
W_check, b_check = jnp.array([0.3, -0.2, 0.5]), 0.1
want = 1 / (1 + np.exp(-(np.asarray(inputs) @ np.asarray(W_check) + b_check)))
got = predict(W_check, b_check, inputs)
assert np.allclose(got, want, rtol=1e-12), f"predict should give {want}, got {got}: sigmoid(inputs @ W + b)"
### BEGIN HIDDEN TESTS
from autograder.probes.mlp_logistic import probe_predict
probe_predict(predict)
### END HIDDEN TESTS

# %% answer="nll_loss"
def nll_loss(W, b, inputs, targets):
    """Negative log-likelihood -sum(y log p + (1 - y) log(1 - p)), a scalar."""
    ### BEGIN SOLUTION
    p = predict(W, b, inputs)
    return -jnp.sum(targets * jnp.log(p) + (1 - targets) * jnp.log(1 - p))
    ### END SOLUTION


# %% test="test_nll_loss" points=2
W_check, b_check = jnp.array([0.3, -0.2, 0.5]), 0.1
got = nll_loss(jnp.zeros(3), 0.0, inputs, targets)
assert np.isclose(got, 4 * np.log(2)), (
    f"with p = 0.5 for all four examples the loss is 4 log 2 = {4 * np.log(2):.6f}, got {got}"
    + (": that is the mean, use the sum" if np.isclose(got, np.log(2)) else "")
    + (": the sign is flipped" if np.isclose(got, -4 * np.log(2)) else ""))
p = 1 / (1 + np.exp(-(np.asarray(inputs) @ np.asarray(W_check) + b_check)))
want = -np.sum(np.log(np.where(np.asarray(targets) == 1, p, 1 - p)))  # log of each label's probability
got = nll_loss(W_check, b_check, inputs, targets)
assert np.isclose(got, want, rtol=1e-12), (
    f"nll_loss should be {want:.10f}, got {got}: a label 0 contributes log(1 - p), a label 1 log(p)")
### BEGIN HIDDEN TESTS
from autograder.probes.mlp_logistic import probe_nll_loss
probe_nll_loss(nll_loss)
### END HIDDEN TESTS

# %% [markdown]
# ### Gradients by argument number
#
# `jax.grad` differentiates with respect to the first argument unless `argnums` says
# otherwise; a tuple of argument numbers gives a tuple of gradients.

# %% tags=["demo"]
W_key, b_key = jax.random.split(jax.random.key(10))
W = jax.random.normal(W_key, (3,))
b = jax.random.normal(b_key, ())

dW = jax.grad(nll_loss)(W, b, inputs, targets)               # argnums=0, the default
db = jax.grad(nll_loss, argnums=1)(W, b, inputs, targets)
dW_again, db_again = jax.grad(nll_loss, argnums=(0, 1))(W, b, inputs, targets)
print("dL/dW =", dW, "  dL/db =", db)
assert np.allclose(dW, dW_again) and np.allclose(db, db_again)

# %% [markdown]
# These gradients have a closed form to check them against. Since
# $\sigma'(z) = \sigma(z)(1 - \sigma(z))$, the derivative of each example's term with
# respect to $z_i = x_i\cdot W + b$ is simply $p_i - y_i$, so
#
# $$\frac{\partial L}{\partial W} = X^\top (p - y), \qquad \frac{\partial L}{\partial b} = \sum_i (p_i - y_i).$$

# %% tags=["demo"]
residual = predict(W, b, inputs) - targets
print("closed form:", inputs.T @ residual, jnp.sum(residual))
assert np.allclose(dW, inputs.T @ residual, rtol=1e-12)
assert np.isclose(db, jnp.sum(residual), rtol=1e-12)

# %% [markdown]
# ### Gradients with respect to a dict, and the loss in the same pass
#
# With the parameters in a dict `{"W": ..., "b": ...}`, `jax.grad` returns a dict of
# gradients with the same keys, as in Part 1. Training usually wants the loss too:
# `jax.value_and_grad` returns both from one forward and one backward pass, where calling
# the loss and `jax.grad` separately would run the forward pass twice.
#
# ### Exercise `loss_and_grads`
#
# Write `nll_loss_dict(params, inputs, targets)`, the same loss with `params["W"]` and
# `params["b"]`. Then `loss_and_grads` returns `(loss, grads)` with
# `grads = {"W": dL/dW, "b": dL/db}`, using `jax.value_and_grad`.

# %% answer="loss_and_grads"
def nll_loss_dict(params, inputs, targets):
    """nll_loss with the parameters in a dict {"W": ..., "b": ...}."""
    ### BEGIN SOLUTION
    return nll_loss(params["W"], params["b"], inputs, targets)
    ### END SOLUTION


def loss_and_grads(params, inputs, targets):
    """(loss, {"W": dL/dW, "b": dL/db}) from one call of jax.value_and_grad."""
    ### BEGIN SOLUTION
    return jax.value_and_grad(nll_loss_dict)(params, inputs, targets)
    ### END SOLUTION


# %% test="test_loss_and_grads" points=2
X_np, y_np, W_check, b_check = np.asarray(inputs), np.asarray(targets), np.array([0.3, -0.2, 0.5]), 0.1
p = 1 / (1 + np.exp(-(X_np @ W_check + b_check)))
want_loss = -np.sum(y_np * np.log(p) + (1 - y_np) * np.log(1 - p))
want_dW, want_db = X_np.T @ (p - y_np), np.sum(p - y_np)  # the closed form
loss, grads = loss_and_grads({"W": jnp.asarray(W_check), "b": jnp.asarray(b_check)}, inputs, targets)
assert isinstance(grads, dict) and set(grads) == {"W", "b"}, (
    "loss_and_grads should return (loss, grads) with grads a dict with keys 'W' and 'b'")
assert np.isclose(loss, want_loss, rtol=1e-12), f"the first value should be the loss {want_loss:.10f}, got {loss}"
assert np.allclose(grads["W"], want_dW, rtol=1e-12) and np.isclose(grads["b"], want_db, rtol=1e-12), (
    f"the gradients should be X^T (p - y) = {want_dW} and sum(p - y) = {want_db:.10f}, "
    f"got {grads['W']} and {grads['b']}")
### BEGIN HIDDEN TESTS
from autograder.probes.mlp_logistic import probe_loss_and_grads
probe_loss_and_grads(loss_and_grads)
### END HIDDEN TESTS

# %% [markdown]
# A few hundred steps of the same gradient descent fit the four labels:

# %% tags=["demo"]
fit_step = jax.jit(loss_and_grads)
lr_params = {"W": W, "b": b}
for i in range(300):
    lr_loss, lr_grads = fit_step(lr_params, inputs, targets)
    lr_params = jax.tree.map(lambda p, g: p - 0.1 * g, lr_params, lr_grads)
    if i in (0, 299):
        print(f"step {i:3d}: loss {float(lr_loss):.4f}")
print("labels:       ", targets)
print("probabilities:", np.round(predict(lr_params["W"], lr_params["b"], inputs), 3))

# %% [markdown]
# Do not read these weights as *the* maximum-likelihood estimate: there is none. A plane
# separates the three 1s from the 0 exactly, so moving further along that direction
# always brings every probability closer to its label. The loss falls towards 0 without
# reaching it, and $W$ grows for as long as the descent runs. With separable data,
# logistic regression needs a penalty such as $\lambda\lVert W\rVert^2$, or early
# stopping, to give finite weights.

# %% [markdown]
# ## Part 3. Gradient checking
#
# AD computes the exact derivative of the program as written, but a program can still
# have the wrong gradient: a hand-written derivative rule (`jax.custom_jvp`) with a slip,
# a gradient computed by hand for speed, a mistake in a model's custom layer. Finite
# differences check all of these independently, because they only *evaluate* the function.
#
# ### Exercise `central_difference`
#
# The central difference with step $h$ is
#
# $$\frac{f(x + h) - f(x - h)}{2h} = f'(x) + \frac{h^2}{6} f'''(x) + \dots$$
#
# Its error falls like $h^2$; the forward difference $(f(x+h) - f(x))/h$ has an error
# $\frac h2 f''(x)$ that falls only like $h$. Write the central one, with exactly this
# formula.

# %% answer="central_difference"
def central_difference(f, x, h):
    """(f(x + h) - f(x - h)) / (2 h) for a function f of one number."""
    ### BEGIN SOLUTION
    return (f(x + h) - f(x - h)) / (2 * h)
    ### END SOLUTION


# %% test="test_central_difference" points=1
got = central_difference(lambda x: x ** 2, 3.0, 0.5)
assert np.isclose(got, 6.0), (
    f"central_difference(x**2, 3, 0.5) should be exactly 6 (a parabola has no h**2 error), got {got}"
    + (": that is the forward difference" if np.isclose(got, 6.5) else "")
    + (": divide by 2h" if np.isclose(got, 12.0) else ""))
got = central_difference(lambda x: x ** 3, 1.0, 0.1)
assert np.isclose(got, 3.01, rtol=1e-12), (
    f"central_difference(x**3, 1, 0.1) should be 3 + h**2 = 3.01, got {got}"
    + (": that is the forward difference, 3 + 3h + h**2" if np.isclose(got, 3.31) else ""))
### BEGIN HIDDEN TESTS
from autograder.probes.mlp_logistic import probe_central_difference
probe_central_difference(central_difference)
### END HIDDEN TESTS

# %% [markdown]
# Check $\partial L / \partial b$ of the logistic loss at the parameters of Part 2:

# %% tags=["demo"]
db_fd = central_difference(lambda b_: nll_loss(W, b_, inputs, targets), b, 1e-6)
print(f"dL/db  JAX {float(db):.12f}   central difference {float(db_fd):.12f}   "
      f"relative difference {abs(db_fd - db) / abs(db):.1e}")
assert np.isclose(db_fd, db, rtol=1e-7)

# %% [markdown]
# ### Many parameters: one random direction
#
# Checking every partial derivative costs two evaluations per parameter. Instead, pick a
# direction $v$ in parameter space. The derivative of $f$ along $v$ is
#
# $$\nabla f(x) \cdot v \;\approx\; \frac{f(x + h v) - f(x - h v)}{2h},$$
#
# two evaluations for any number of parameters. A gradient that is wrong in any component
# almost surely fails this test for a random $v$.
#
# ### Exercise `directional_derivative_fd`
#
# `x` and `v` are arrays of the same shape and `f` maps such an array to a number. Use `v`
# as it is given: normalising it is the caller's choice, not this function's.

# %% answer="directional_derivative_fd"
def directional_derivative_fd(f, x, v, h):
    """(f(x + h v) - f(x - h v)) / (2 h): the derivative of f at x along v."""
    ### BEGIN SOLUTION
    return (f(x + h * v) - f(x - h * v)) / (2 * h)
    ### END SOLUTION


# %% test="test_directional_derivative_fd" points=2
x_check, v_check = jnp.array([1.0, 2.0]), jnp.array([1.0, 2.0])
got = directional_derivative_fd(lambda x: jnp.sum(x ** 3), x_check, v_check, 0.1)
assert np.isclose(got, 27.09, rtol=1e-12), (
    f"for f = sum(x**3), x = v = (1, 2), h = 0.1: the gradient is 3x**2 = (3, 12), so grad . v = 27, "
    f"and the central formula adds h**2 * sum(v**3) = 0.09: expected 27.09, got {got}"
    + (": that is the forward difference" if np.isclose(got, 29.79) else "")
    + (": v was normalised, use it as given" if np.isclose(
        got, (np.sum((x_check + 0.1 * v_check / np.sqrt(5)) ** 3) - np.sum((x_check - 0.1 * v_check / np.sqrt(5)) ** 3))
        / 0.2) else ""))
### BEGIN HIDDEN TESTS
from autograder.probes.mlp_logistic import probe_directional_derivative
probe_directional_derivative(directional_derivative_fd)
### END HIDDEN TESTS

# %% [markdown]
# Now the whole network. `ravel_pytree` flattens the parameter dict into one vector and
# returns the function that rebuilds the dict, so the loss becomes a function of a vector.
# The exact directional derivative comes from AD twice over: the gradient dotted with $v$
# (reverse mode), and `jax.jvp` (forward mode).

# %% tags=["demo"]
theta, unravel = ravel_pytree(params_trained)
batch = make_batch(jax.random.key(11))
loss_of_vector = jax.jit(lambda t: mse_loss(unravel(t), *batch))  # jit: compiled once, not op by op

v = jax.random.normal(jax.random.key(12), theta.shape)
v = v / jnp.linalg.norm(v)
by_grad = jnp.vdot(jax.grad(loss_of_vector)(theta), v)
_, by_jvp = jax.jvp(loss_of_vector, (theta,), (v,))
by_fd = directional_derivative_fd(loss_of_vector, theta, v, 1e-5)
print(f"{theta.size} parameters, one direction:")
print(f"  grad . v   {float(by_grad):.12f}\n  jax.jvp    {float(by_jvp):.12f}\n  finite diff {float(by_fd):.12f}")
assert np.isclose(by_grad, by_jvp, rtol=1e-12) and np.isclose(by_fd, by_grad, rtol=1e-6)

# %% [markdown]
# ### `jax.test_util.check_grads`
#
# JAX packages this test. `check_grads(f, args, order=2)` compares forward mode (`jvp`)
# and reverse mode (`vjp`) with central differences in random directions, and repeats the
# comparison on the derivatives themselves up to the given order: with `order=2`, second
# derivatives are checked too. It raises an `AssertionError` on a mismatch and is silent
# otherwise. (Wrapping the function in `jax.jit` compiles each derivative once instead of
# op by op; every extra order multiplies the work.)

# %% tags=["demo"]
check_grads(jax.jit(lambda W, b: nll_loss(W, b, inputs, targets)), (W, b), order=2)
print("check_grads passed for the logistic loss, up to second derivatives")

# %% [markdown]
# ### Why the check needs float64
#
# A difference quotient divides a difference of two nearly equal numbers by $2h$. Each
# value carries a rounding error of about $\varepsilon |f|$, so the quotient has an error
# near $\varepsilon |f| / h$, on top of the truncation error $\propto h^2$. In float32,
# $\varepsilon \approx 1.2\times10^{-7}$, and even the best step leaves only four or five
# correct digits; in float64, $\varepsilon \approx 2.2\times10^{-16}$ leaves ten or more.
#
# The same directional check of the logistic loss in both precisions, against the exact
# value:

# %% tags=["demo"]
def in_dtype(tree, dtype):
    return jax.tree.map(lambda a: jnp.asarray(a, dtype), tree)


v_W = jax.random.normal(jax.random.key(13), (3,))
v_W = v_W / jnp.linalg.norm(v_W)
exact = float(jnp.vdot(dW, v_W))
steps = np.logspace(-9, -0.5, 34)
rel_error = {}
for dtype in (jnp.float32, jnp.float64):
    W_, b_, x_, y_, v_ = in_dtype((W, b, inputs, targets, v_W), dtype)
    loss_W = lambda w: nll_loss(w, b_, x_, y_)  # noqa: E731
    rel_error[dtype] = np.array([abs(float(directional_derivative_fd(loss_W, W_, v_, float(h))) - exact)
                                 / abs(exact) for h in steps])
    assert loss_W(W_).dtype == dtype  # the whole computation stays in this precision

fig, ax = plt.subplots(figsize=(7, 4))
for dtype, name in ((jnp.float32, "float32"), (jnp.float64, "float64")):
    ax.loglog(steps, np.maximum(rel_error[dtype], 1e-17), "o-", ms=3, label=name)
ax.axhline(2e-3, color="gray", ls=":", label="check_grads tolerance for float32")
ax.set(xlabel="step h", ylabel="relative error of the finite difference",
       title="A directional finite difference of the logistic loss")
ax.legend()
plt.show()
for dtype, name in ((jnp.float32, "float32"), (jnp.float64, "float64")):
    best = np.argmin(rel_error[dtype])
    print(f"{name}: best step {steps[best]:.1e}, relative error {rel_error[dtype][best]:.1e}")

# %% [markdown]
# A float32 check therefore needs a loose tolerance (`check_grads` uses about $2\times10^{-3}$
# for float32, $10^{-5}$ for float64), and a loose tolerance lets real bugs through. Here is
# a sigmoid with a hand-written derivative rule that is 0.1 % too large, a typical slip:

# %% tags=["demo"]
@jax.custom_jvp
def sloppy_sigmoid(z):
    return 1 / (1 + jnp.exp(-z))


@sloppy_sigmoid.defjvp
def sloppy_sigmoid_jvp(primals, tangents):
    (z,), (dz,) = primals, tangents
    s = sloppy_sigmoid(z)
    return s, 1.001 * s * (1 - s) * dz  # the bug: the true factor is 1


def sloppy_loss(W, b, inputs, targets):
    p = sloppy_sigmoid(inputs @ W + b)
    return -jnp.sum(targets * jnp.log(p) + (1 - targets) * jnp.log(1 - p))


for dtype, name in ((jnp.float32, "float32"), (jnp.float64, "float64")):
    W_, b_, x_, y_ = in_dtype((W, b, inputs, targets), dtype)
    try:
        check_grads(jax.jit(lambda W, b: sloppy_loss(W, b, x_, y_)), (W_, b_), order=1)
        print(f"{name}: check_grads passed, the bug went unnoticed")
    except AssertionError as err:
        detail = [ln.strip() for ln in str(err).splitlines() if "relative difference" in ln]
        print(f"{name}: check_grads caught the bug ({detail[0] if detail else 'mismatch'})")

# %% [markdown]
# In float32 the 0.1 % error hides below the tolerance of 0.2 % that the rounding noise
# forces on the check; in float64 it is a hundred times the tolerance of $10^{-5}$. Check
# gradients in float64 (`jax.config.update("jax_enable_x64", True)`, then float64 arrays),
# even for a model you will train in float32.
#
# ## Checkpoint

# %% tags=["demo"]
from jupyterquiz import display_quiz

display_quiz([
    {"question": "Why split a JAX random key instead of using it for W1 and again for W2?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "The same key gives the same numbers, so W1 and W2 would not be independent",
          "correct": True, "feedback": "Right: a key fully determines the numbers drawn with it."},
         {"answer": "A key can only be used once; the second use raises an error", "correct": False,
          "feedback": "JAX does not stop you: it silently returns the same numbers again."},
         {"answer": "Splitting makes the numbers more random", "correct": False,
          "feedback": "Each key gives equally good random numbers; what matters is that they differ."}]},
    {"question": "grad(nll_loss, argnums=(0, 1))(W, b, inputs, targets) returns what, for W of shape (3,)?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "A tuple (dL/dW of shape (3,), dL/db a scalar)", "correct": True,
          "feedback": "Right: one gradient per argument number, each shaped like its argument."},
         {"answer": "A single array of 4 numbers", "correct": False,
          "feedback": "JAX keeps the structure of the arguments: a tuple of two gradients."},
         {"answer": "A dict {'W': ..., 'b': ...}", "correct": False,
          "feedback": "A dict comes back when the argument is a dict, as in nll_loss_dict."}]},
    {"question": "Halving h divides the truncation error of the central difference by about how much?",
     "type": "numeric", "precision": 2,
     "answers": [{"type": "value", "value": 4, "correct": True,
                  "feedback": "Right: the error is proportional to h**2."},
                 {"type": "value", "value": 2, "correct": False,
                  "feedback": "That is the forward difference, whose error is proportional to h."},
                 {"type": "default", "feedback": "The error of the central difference is (h**2 / 6) f'''."}]},
    {"question": "How many evaluations of f does one directional finite-difference check need, "
                 "for a network with 100 000 parameters?",
     "type": "numeric", "precision": 6,
     "answers": [{"type": "value", "value": 2, "correct": True,
                  "feedback": "Right: f(x + h v) and f(x - h v), whatever the number of parameters."},
                 {"type": "value", "value": 200000, "correct": False,
                  "feedback": "That is the cost of checking every partial derivative separately."},
                 {"type": "default", "feedback": "Count the evaluations in (f(x + h v) - f(x - h v)) / (2h)."}]},
    {"question": "Why run gradient checks in float64?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "Rounding errors of about eps/h swamp small gradient bugs in float32",
          "correct": True, "feedback": "Right: float32 keeps only 4 or 5 digits of a finite difference."},
         {"answer": "JAX cannot differentiate float32 functions", "correct": False,
          "feedback": "It can; the problem is the finite difference, not the AD."},
         {"answer": "float64 makes the truncation error vanish", "correct": False,
          "feedback": "Truncation error depends on h, not on the precision."}]},
])

# %% [markdown]
# ## Summary
#
# - `jax.grad` differentiates with respect to a pytree and returns gradients of the same
#   shape: a dict of parameters gives a dict of gradients; `argnums` picks arguments.
# - `jax.value_and_grad` returns the loss and its gradient from one forward and one
#   backward pass; a training step is that, then `params - lr * grads` on every leaf.
# - JAX random numbers come from explicit keys: split a key for every independent draw.
# - Too narrow a network cannot follow the curve; past a few units, the optimiser limits.
# - Check gradients with central differences along a random direction, or with
#   `check_grads`, in float64: in float32 the rounding noise hides real bugs.
#
# Next: whole Jacobians and Hessians, forward and reverse mode, and what each costs.
