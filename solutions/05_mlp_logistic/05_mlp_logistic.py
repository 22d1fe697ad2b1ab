# %% [markdown]
# # 5. A small network and logistic regression, trained with JAX gradients, and checked
#
# *Automatic differentiation, from dual numbers to JAX* · notebook 5 of 6
#
# Training a model is a loop: evaluate a loss, take its gradient with respect to every
# parameter, step downhill. JAX supplies the gradient (notebook 4 showed `jax.grad`,
# `value_and_grad` and gradients of dictionaries); everything else you write yourself here,
# so that nothing is hidden. Then you turn to the question every user of AD meets sooner or
# later: is this gradient right?
#
# You will:
# 1. write a one-hidden-layer neural network, fit it to noisy samples of a curve with
#    hand-written gradient steps, and see what width and depth change;
# 2. write logistic regression with a loss that stays finite when the classes separate;
# 3. write a gradient checker that compares forward and reverse mode with finite differences
#    along random directions, find a planted bug with it, and see why such checks need float64.
#
# **How to work.** Run the cells from top to bottom. Cells marked *Exercise* contain
# `raise NotImplementedError(...)`: replace that line with your code. The cell after each
# exercise is a self-check; if an `assert` fails, its message says what to look at. Hidden
# tests then try your functions on inputs you have not seen.

# %% readonly="setup"
from functools import partial

import ipywidgets as widgets
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from jax.test_util import check_grads
from tqdm.auto import tqdm

jax.config.update("jax_enable_x64", True)  # float64 by default: Part 3 shows why it matters

# %% [markdown]
# ## Part 1. A one-hidden-layer network
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
# $d_\text{in} = d_\text{out} = 1$, but write the function for any sizes. The four arrays
# live in one dict, so one `jax.grad` call returns all four gradients under the same names.
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


# %% test="test_my_nn"
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


# %% test="test_sgd_step"
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
batch_losses, seen = [], []
for _ in tqdm(range(STEPS), desc="training", mininterval=1.0):
    key, batch_key = jax.random.split(key)
    X_batch, y_batch = make_batch(batch_key)
    params, loss = step(params, X_batch, y_batch, LEARNING_RATE)
    batch_losses.append(loss)
    seen.append((X_batch, y_batch))
# named only once training has finished: until sgd_step works, later cells say so (NameError)
losses, batches = np.asarray(batch_losses), seen  # batches: kept for the width and depth experiment
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
# $$p_i = \sigma(z_i), \qquad z_i = x_i \cdot W + b, \qquad \sigma(z) = \frac{1}{1 + e^{-z}},$$
#
# and the loss is the **negative log-likelihood**, minus the log of the probability the
# model gives to the labels actually seen:
#
# $$L(W, b) = -\sum_i \big[\, y_i \log p_i + (1 - y_i) \log(1 - p_i) \,\big].$$
#
# For each example only one of the two terms is non-zero. The loss is a **sum** over
# examples here, not a mean.
#
# ### A loss that stays finite
#
# Written literally, this loss breaks down when the model is sure of itself. In float64
# $\sigma(z)$ rounds to exactly 1 once $z > 37$. Then $\log(1 - p) = -\infty$, and for an
# example labelled 1 the term $(1 - y)\log(1 - p)$ is $0 \cdot (-\infty)$, which is `nan`: the
# loss and its gradient are `nan`. On this toy data that is where training goes, because a
# plane separates the three 1s from the 0 (more on that below), so the $|z_i|$ grow without
# bound.
#
# The cure is never to form $p$ on the way to its logarithm:
#
# $$\log p = \log\sigma(z) = -\log(1 + e^{-z}), \qquad
#   \log(1 - p) = \log\sigma(-z) = -\log(1 + e^{z}).$$
#
# `jax.nn.log_sigmoid(z)` computes $\log\sigma(z)$ this way, as $-\text{softplus}(-z)$, which
# never overflows (notebook 4 met `softplus` for the same reason).
#
# ### Exercise `predict` and `nll_loss`
#
# `W` has shape `(d,)`, `b` is a scalar, `inputs` has shape `(N, d)` and `targets` shape
# `(N,)` of 0.0 and 1.0. `predict` returns the `N` probabilities: use `jax.nn.sigmoid` or
# write $\sigma$ yourself with `jnp.exp`. `nll_loss` returns $L$: write it with
# `jax.nn.log_sigmoid` of the logits $z$ (or with `jax.nn.softplus`), not with the log of
# `predict`. The hidden tests use logits up to $\pm 800$.

# %% answer="predict"
def predict(W, b, inputs):
    """Probabilities sigmoid(inputs @ W + b), shape (N,)."""
    ### BEGIN SOLUTION
    return jax.nn.sigmoid(inputs @ W + b)
    ### END SOLUTION


# %% test="test_predict"
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
    """Negative log-likelihood -sum(y log p + (1 - y) log(1 - p)), a scalar, finite for any logits."""
    ### BEGIN SOLUTION
    z = inputs @ W + b
    return -jnp.sum(targets * jax.nn.log_sigmoid(z) + (1 - targets) * jax.nn.log_sigmoid(-z))
    ### END SOLUTION


# %% test="test_nll_loss"
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
z_big = 100 * (np.asarray(inputs) @ np.asarray(W_check) + b_check)  # logits from -170 to 110
want = np.sum(np.where(np.asarray(targets) == 1, np.logaddexp(0, -z_big), np.logaddexp(0, z_big)))
got = nll_loss(100 * W_check, 100 * b_check, inputs, targets)
assert np.isclose(got, want, rtol=1e-12), (
    f"with 100 times the weights the loss should be {want:.6f}, got {got}: sigmoid(z) rounds to 1 for z > 37, "
    "so log(1 - predict(...)) is -inf; use jax.nn.log_sigmoid(z) and jax.nn.log_sigmoid(-z)")
### BEGIN HIDDEN TESTS
from autograder.probes.mlp_logistic import probe_nll_loss

probe_nll_loss(nll_loss)
### END HIDDEN TESTS

# %% [markdown]
# The gradient has a closed form to check JAX against. Since $\sigma' = \sigma(1 - \sigma)$,
# the derivative of each example's term with respect to its logit $z_i$ is simply
# $p_i - y_i$, so
#
# $$\frac{\partial L}{\partial W} = X^\top (p - y), \qquad \frac{\partial L}{\partial b} = \sum_i (p_i - y_i).$$

# %% tags=["demo"]
W_key, b_key = jax.random.split(jax.random.key(10))
W = jax.random.normal(W_key, (3,))
b = jax.random.normal(b_key, ())

dW, db = jax.grad(nll_loss, argnums=(0, 1))(W, b, inputs, targets)
residual = predict(W, b, inputs) - targets
print("jax.grad:   ", dW, db)
print("closed form:", inputs.T @ residual, jnp.sum(residual))
assert np.allclose(dW, inputs.T @ residual, rtol=1e-12) and np.isclose(db, jnp.sum(residual), rtol=1e-12)

# %% [markdown]
# A thousand steps of gradient descent fit the four labels:

# %% tags=["demo"]
loss_and_grad = jax.jit(jax.value_and_grad(nll_loss, argnums=(0, 1)))
W_fit, b_fit = W, b
history = []
for _ in range(1000):
    loss, (dW_, db_) = loss_and_grad(W_fit, b_fit, inputs, targets)
    W_fit, b_fit = W_fit - 0.1 * dW_, b_fit - 0.1 * db_
    history.append(float(loss))
print(f"loss: {history[0]:.4f} at the start, {history[-1]:.4f} after 1000 steps")
print("labels:       ", targets)
print("probabilities:", np.round(predict(W_fit, b_fit, inputs), 3))

# %% [markdown]
# Do not read these weights as *the* maximum-likelihood estimate: there is none. A plane
# separates the three 1s from the 0 exactly, so moving further along that direction always
# brings every probability closer to its label. The loss falls towards 0 without reaching
# it, and $W$ grows for as long as the descent runs. With separable data, logistic
# regression needs a penalty such as $\lambda\lVert W\rVert^2$, or early stopping, to give
# finite weights.
#
# Where that road ends is easy to see by scaling the fitted weights by a factor $s$, as ever
# longer training would: the loss written with `log(predict(...))` turns into `nan` once the
# largest logit passes 37, while `nll_loss` keeps falling.

# %% tags=["demo"]
def naive_nll(W, b, inputs, targets):
    p = predict(W, b, inputs)
    return -jnp.sum(targets * jnp.log(p) + (1 - targets) * jnp.log(1 - p))


scales = np.logspace(0, 2.5, 60)
stable = np.array([float(nll_loss(s * W_fit, s * b_fit, inputs, targets)) for s in scales])
naive = np.array([float(naive_nll(s * W_fit, s * b_fit, inputs, targets)) for s in scales])
largest_logit = scales * float(jnp.max(jnp.abs(inputs @ W_fit + b_fit)))
fig, ax = plt.subplots(figsize=(7, 3.8))
ax.loglog(largest_logit, stable, label="nll_loss (log_sigmoid)")
ax.loglog(largest_logit[np.isfinite(naive)], naive[np.isfinite(naive)], "--", label="with log(predict(...))")
ax.plot(largest_logit[~np.isfinite(naive)], np.full((~np.isfinite(naive)).sum(), stable.max()), "rx",
        label="nan")
ax.axvline(37, color="gray", ls=":", lw=1)
ax.set(xlabel="largest |logit|", ylabel="loss", title="The fitted weights, scaled up")
ax.legend(fontsize=8)
plt.show()
# the second way: each example's term is log(1 + e^-m) for its margin m = (2y - 1) z, by NumPy
margins = (2 * np.asarray(targets) - 1) * np.asarray(inputs @ (100 * W_fit) + 100 * b_fit)
assert np.isclose(float(nll_loss(100 * W_fit, 100 * b_fit, inputs, targets)), np.sum(np.logaddexp(0, -margins)),
                  rtol=1e-12)
assert np.isnan(naive[-1]) and np.isfinite(stable).all()

# %% [markdown]
# ## Part 3. Gradient checking
#
# AD computes the exact derivative of the program as written. A program can still have the
# wrong derivative where a person wrote one: a library function with a hand-written
# derivative rule, a backward pass written for speed, a custom layer. A finite difference only
# *evaluates* $f$, so it checks all of these independently.
#
# ### One direction at a time
#
# Checking every partial derivative costs two evaluations per parameter. Instead pick a
# direction $v$: the derivative of $f$ along $v$ is
#
# $$\nabla f(x)\cdot v \;\approx\; \frac{f(x + hv) - f(x - hv)}{2h},$$
#
# the central difference of notebook 1, two evaluations whatever the number of parameters.
# JAX gives the exact value two ways:
#
# - **reverse mode**: `jax.grad(f)(x) @ v`, the whole gradient from one backward pass, then a
#   dot product;
# - **forward mode**: `jax.jvp(f, (x,), (v,))` returns the pair $(f(x),\ \nabla f(x)\cdot v)$
#   from one forward pass that carries a tangent beside every value: the dual numbers of
#   notebook 1, with the derivative part seeded with $v$. (*jvp* stands for
#   Jacobian-vector product; notebook 6 builds whole Jacobians from it.)
#
# Both work on pytrees: here $x$ is the trained network's parameter dict and $v$ a random
# dict of the same shapes.

# %% readonly="directional_difference"
def directional_difference(f, x, v, h=1e-6):
    """(f(x + h v) - f(x - h v)) / (2 h): the derivative of f at x along v, for arrays or pytrees x, v."""
    step = lambda sign: jax.tree.map(lambda a, d: a + sign * h * d, x, v)  # noqa: E731
    return (f(step(1)) - f(step(-1))) / (2 * h)


# %% tags=["demo"]
batch = make_batch(jax.random.key(11))
loss_of_params = jax.jit(lambda p: mse_loss(p, *batch))  # jit: compiled once, not op by op
keys = jax.random.split(jax.random.key(12), len(params_trained))
v = {name: jax.random.normal(k, a.shape) for (name, a), k in zip(params_trained.items(), keys)}
by_grad = sum(jnp.vdot(g, v[name]) for name, g in jax.grad(loss_of_params)(params_trained).items())
_, by_jvp = jax.jvp(loss_of_params, (params_trained,), (v,))
by_fd = directional_difference(loss_of_params, params_trained, v)
print(f"{sum(a.size for a in params_trained.values())} parameters, one random direction:")
print(f"  grad . v (reverse)  {float(by_grad):.12f}\n  jax.jvp (forward)   {float(by_jvp):.12f}\n"
      f"  central difference  {float(by_fd):.12f}")
assert np.isclose(by_grad, by_jvp, rtol=1e-12) and np.isclose(by_fd, by_grad, rtol=1e-7)

# %% [markdown]
# Two rules make such a check trustworthy.
#
# - **Relative, not absolute.** A loss of size $10^8$ has derivatives of that size, and the
#   finite difference's own error (rounding, about $\varepsilon |f| / h$, and the step, about
#   $h^2$) grows with them; a loss of size $10^{-8}$ has a bug of 1 % far below any absolute
#   threshold. The relative error $|d_\text{AD} - d_\text{FD}| / |d_\text{FD}|$ does not change
#   when $f$ is multiplied by a constant. At $h = 10^{-6}$ in float64 it stays below
#   $10^{-8}$ for a correct derivative of a smooth function.
# - **Several random directions.** A wrong rule can be right along some directions (along
#   the vector of ones, say, if its errors cancel in the sum). Along a random direction a
#   bug shows with probability one, so try a few.
#
# ### Exercise `check_gradient`
#
# Write `check_gradient(f, x, directions, h=1e-6, rtol=1e-6)` for a scalar function `f` of a
# 1-d float array `x`. `directions` is a 2-d array with one direction per row. For each
# direction $v$ compute the central difference along $v$ (`directional_difference`), the
# forward-mode derivative (`jax.jvp`), the reverse-mode one (`jax.grad(f)(x) @ v`), and the
# relative error of each AD value, $|d_\text{AD} - d_\text{FD}| / |d_\text{FD}|$. Return the
# pair `(passed, errors)`:
#
# - `errors`, an array of shape `(len(directions), 2)`: row $k$ for direction $k$, column 0
#   forward mode, column 1 reverse mode;
# - `passed`, a bool: `True` when every error is at most `rtol`.
#
# Use every direction you are given. The hidden tests give your checker functions with and
# without planted bugs, with values from $10^{-8}$ to $10^8$, and compare its verdicts and
# its errors with the true ones.

# %% answer="check_gradient"
def check_gradient(f, x, directions, h=1e-6, rtol=1e-6):
    """Forward and reverse mode of f at x against central differences along each direction:
    (passed, errors), errors[k] = [forward, reverse] relative errors along directions[k]."""
    ### BEGIN SOLUTION
    x = jnp.asarray(x, dtype=jnp.float64)
    gradient = jax.grad(f)(x)
    errors = []
    for v in jnp.asarray(directions, dtype=jnp.float64):
        by_fd = directional_difference(f, x, v, h)
        by_jvp = jax.jvp(f, (x,), (v,))[1]
        by_grad = jnp.vdot(gradient, v)
        errors.append([abs(by_jvp - by_fd) / abs(by_fd), abs(by_grad - by_fd) / abs(by_fd)])
    errors = np.array(errors, dtype=float)
    return bool(np.all(errors <= rtol)), errors
    ### END SOLUTION


# %% readonly="check_gradient_examples"
# Examples for the self-checks: the logistic loss as a function of W, and the same loss with
# a derivative rule that is 0.1 % too large (a bug; jax.custom_jvp is explained below).
logistic_in_W = lambda W: nll_loss(W, 0.2, inputs, targets)  # noqa: E731


@jax.custom_jvp
def rule_too_large(W):
    return logistic_in_W(W)


@rule_too_large.defjvp
def _rule_too_large_jvp(primals, tangents):
    value, slope = jax.jvp(logistic_in_W, primals, tangents)
    return value, 1.001 * slope


keys = jax.random.split(jax.random.key(30), 2)
W_at, dirs = jax.random.normal(keys[0], (3,)), jax.random.normal(keys[1], (4, 3))

# %% test="test_check_gradient_verdicts"
result = check_gradient(logistic_in_W, W_at, dirs)
assert isinstance(result, tuple) and len(result) == 2, "check_gradient should return the pair (passed, errors)"
passed, errors = result
assert isinstance(passed, (bool, np.bool_)), f"passed should be True or False, got {type(passed).__name__}"
assert passed, (
    f"the logistic loss has exact derivatives, so check_gradient should pass it; it returned passed = {passed} "
    f"with errors {np.asarray(errors).tolist()}")
passed, errors = check_gradient(lambda W: 1e8 * logistic_in_W(W), W_at, dirs)
assert passed, (
    f"multiplying the loss by 1e8 changes no relative error, but check_gradient failed it (largest error "
    f"{np.max(errors):.1e}): divide each error by |d_FD|")
assert not check_gradient(rule_too_large, W_at, dirs)[0], "a derivative rule 0.1 % too large should fail the check"
### BEGIN HIDDEN TESTS
from autograder.probes.mlp_logistic import probe_check_gradient_verdicts

probe_check_gradient_verdicts(check_gradient)
### END HIDDEN TESTS

# %% test="test_check_gradient_errors"
passed, errors = check_gradient(logistic_in_W, W_at, dirs)
assert np.shape(errors) == (4, 2), (
    f"errors should have one row per direction and two columns (forward, reverse): shape (4, 2), got {np.shape(errors)}")
assert np.max(errors) < 1e-8, f"for exact derivatives the relative errors should be below 1e-8, got {np.max(errors):.1e}"
passed, errors = check_gradient(rule_too_large, W_at, dirs)
assert np.allclose(errors, 1e-3, rtol=1e-3), (
    f"with a rule 0.1 % too large every relative error is about 1e-3, in both modes; got {np.asarray(errors).tolist()}")
### BEGIN HIDDEN TESTS
from autograder.probes.mlp_logistic import probe_check_gradient_errors

probe_check_gradient_errors(check_gradient)
### END HIDDEN TESTS

# %% [markdown]
# ### A planted bug
#
# JAX lets a library give a function its own derivative rule: `jax.custom_jvp` attaches a
# hand-written forward-mode rule, and JAX then uses it in both modes (reverse mode is derived
# from it). A slip in such a rule is invisible to AD itself. Notebook 7 writes such rules.
# Here are three activation functions whose rules were written by hand, and **one of the
# rules is wrong**:
#
# $$\text{softplus}(z) = \log(1 + e^z), \qquad \text{swish}(z) = z\,\sigma(z), \qquad
#   \text{log\_cosh}(z) = \log\cosh z .$$

# %% readonly="activations"
@jax.custom_jvp
def softplus(z):
    return jnp.logaddexp(z, 0.0)


softplus.defjvp(lambda primals, tangents: (softplus(primals[0]), jax.nn.sigmoid(primals[0]) * tangents[0]))


@jax.custom_jvp
def swish(z):
    return z * jax.nn.sigmoid(z)


@swish.defjvp
def _swish_rule(primals, tangents):
    (z,), (dz,) = primals, tangents
    s = jax.nn.sigmoid(z)
    return z * s, (s + z * s * (1 - s)) * dz


@jax.custom_jvp
def log_cosh(z):
    return jnp.logaddexp(z, -z) - jnp.log(2.0)


log_cosh.defjvp(lambda primals, tangents: (log_cosh(primals[0]), jnp.tanh(jnp.abs(primals[0])) * tangents[0]))

ACTIVATIONS = {"softplus": softplus, "swish": swish, "log_cosh": log_cosh}

# %% [markdown]
# Find it: check $f(x) = \sum_i \text{act}(x_i)$ for each activation at a random point,
# along a few random directions.

# %% tags=["demo"]
keys = jax.random.split(jax.random.key(20), 2)
x_act = 2 * jax.random.normal(keys[0], (6,))
dirs = jax.random.normal(keys[1], (4, 6))
for name, act in ACTIVATIONS.items():
    passed, errors = check_gradient(lambda x, act=act: jnp.sum(act(x)), x_act, dirs)
    print(f"{name:>9}: passed {passed!s:>5}, largest relative error {np.max(errors):.1e}")

# %% [markdown]
# Which rule is wrong? The checkpoint below asks. (The answer, checked a second way, comes
# after it.)
#
# ### `jax.test_util.check_grads`
#
# JAX packages this test. `check_grads(f, args, order=2)` compares forward mode (`jvp`) and
# reverse mode (`vjp`) with central differences in random directions, and repeats the
# comparison on the derivatives themselves up to the given order: with `order=2`, second
# derivatives are checked too. It raises an `AssertionError` on a mismatch and is silent
# otherwise. (Wrapping the function in `jax.jit` compiles each derivative once instead of op
# by op; every extra order multiplies the work.)

# %% tags=["demo"]
check_grads(jax.jit(lambda W, b: nll_loss(W, b, inputs, targets)), (W, b), order=2)
print("check_grads passed for the logistic loss, up to second derivatives")

# %% [markdown]
# ### Why the check needs float64
#
# A difference quotient divides a difference of two nearly equal numbers by $2h$. Each value
# carries a rounding error of about $\varepsilon |f|$, so the quotient has an error near
# $\varepsilon |f| / h$, on top of the truncation error $\propto h^2$. In float32,
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
    rel_error[dtype] = np.array([abs(float(directional_difference(loss_W, W_, v_, float(h))) - exact)
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
from IPython.display import Javascript, display
from jupyterquiz import display_quiz

# JupyterLab 4 keeps a MathJax without typeset() in window.MathJax. jupyterquiz would then
# replace it and fetch another MathJax from the web, and throw on every answer when that
# fails. These questions have no maths: give the quiz a typeset() that does nothing.
display(Javascript("if (window.MathJax && !window.MathJax.typeset) { window.MathJax.typeset = () => {}; }"))
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
    {"question": "Written as -sum(y log p + (1 - y) log(1 - p)), the loss of a confident model is nan. Why?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "p rounds to 1, log(1 - p) is -inf, and 0 * (-inf) is nan", "correct": True,
          "feedback": "Right: sigmoid(z) is exactly 1.0 in float64 once z > 37. log_sigmoid never forms p."},
         {"answer": "The gradient of log is undefined at 1", "correct": False,
          "feedback": "log is smooth at 1; the trouble is log(0) in the other term."},
         {"answer": "float64 cannot hold probabilities close to 1", "correct": False,
          "feedback": "It can hold them; it cannot hold 1 - p once p is within 1e-16 of 1, which is the point."}]},
    {"question": "jax.jvp(f, (x,), (v,)) for a scalar f returns what?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "The pair (f(x), grad f(x) . v), from one forward pass", "correct": True,
          "feedback": "Right: a value and its derivative along v, like a dual number."},
         {"answer": "The gradient of f at x", "correct": False,
          "feedback": "That is jax.grad, reverse mode. jvp gives the derivative along one direction."},
         {"answer": "A central difference along v", "correct": False,
          "feedback": "jvp is exact forward-mode AD, no step h involved."}]},
    {"question": "A check flags errors above 1e-6 in absolute terms. f = 1e8 * g has exact derivatives. What happens?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "It fails f: the finite difference's own error grows with |f| to about 1e-2",
          "correct": True, "feedback": "Right: eps |f| / h = 2e-16 * 1e8 / 1e-6. Relative errors do not care about the scale."},
         {"answer": "It passes f, like g", "correct": False,
          "feedback": "An absolute error scales with f; only the relative error stays put."},
         {"answer": "It cannot run in float64", "correct": False, "feedback": "1e8 is an ordinary float64."}]},
    {"question": "How many evaluations of f does one directional finite-difference check need, "
                 "for a network with 100 000 parameters?",
     "type": "numeric", "precision": 6,
     "answers": [{"type": "value", "value": 2, "correct": True,
                  "feedback": "Right: f(x + h v) and f(x - h v), whatever the number of parameters."},
                 {"type": "value", "value": 200000, "correct": False,
                  "feedback": "That is the cost of checking every partial derivative separately."},
                 {"type": "default", "feedback": "Count the evaluations in (f(x + h v) - f(x - h v)) / (2h)."}]},
    {"question": "Which of the three activations has the wrong derivative rule?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "softplus", "correct": False, "feedback": "Its errors are at the level of rounding: its rule is right."},
         {"answer": "swish", "correct": False, "feedback": "Its errors are at the level of rounding: its rule is right."},
         {"answer": "log_cosh", "correct": True,
          "feedback": "Right: its relative errors are of order 1. The cell below shows where the rule goes wrong."}]},
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
# ### The bug, checked a second way
#
# Compare each hand-written rule with the derivative JAX finds by itself for the same
# formula written without a custom rule. The derivative of $\log\cosh z$ is $\tanh z$, but the
# rule says $\tanh|z|$: right for $z > 0$, the wrong sign for $z < 0$.

# %% tags=["demo"]
plain = {"softplus": lambda z: jnp.logaddexp(z, 0.0), "swish": lambda z: z * jax.nn.sigmoid(z),
         "log_cosh": lambda z: jnp.logaddexp(z, -z) - jnp.log(2.0)}
zs = jnp.linspace(-3.0, 3.0, 121)
fig, ax = plt.subplots(figsize=(7, 3.5))
for name, act in ACTIVATIONS.items():
    by_rule = jax.vmap(jax.grad(act))(zs)
    by_jax = jax.vmap(jax.grad(plain[name]))(zs)
    ax.plot(zs, by_rule - by_jax, label=name)
    print(f"{name:>9}: largest |rule - JAX's own derivative| = {float(jnp.max(jnp.abs(by_rule - by_jax))):.1e}")
ax.set(xlabel="z", ylabel="rule minus JAX's derivative", title="Each hand-written rule against JAX's own")
ax.legend()
plt.show()
assert np.allclose(jax.vmap(jax.grad(log_cosh))(zs), jnp.tanh(jnp.abs(zs)))  # the rule as written
assert np.allclose(jax.vmap(jax.grad(plain["log_cosh"]))(zs), jnp.tanh(zs), atol=1e-15)  # the truth

# %% [markdown]
# ## Summary
#
# - A training step is `jax.value_and_grad` of the loss, then `params - lr * grads` on every
#   leaf; JAX random numbers come from explicit keys, split for every independent draw.
# - Too narrow a network cannot follow the curve; past a few units, the optimiser limits.
# - Compute a log-likelihood from logits with `jax.nn.log_sigmoid` (or `softplus`): forming
#   $p$ first turns a confident model's loss into `nan`.
# - `jax.jvp` gives a derivative along one direction from one forward pass; `jax.grad`
#   gives the whole gradient from one backward pass.
# - Check a gradient along several random directions, both modes against a central
#   difference, by the relative error, in float64: absolute errors and float32 hide bugs.
#
# Next: whole Jacobians and Hessians, forward and reverse mode, and what each costs.
