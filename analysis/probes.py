"""Linear probes (Alain and Bengio, 2016): a multinomial logistic regression per layer, fitted on train, scored on test.

A probe asks how much of the class a layer makes *linearly* readable. It is an L2-regularised softmax
regression on the layer's standardised features, minimised by L-BFGS (memory 10, backtracking
Armijo line search) inside one jitted call. Four regularisation strengths are fitted side by side
(`vmap`), and the one with the best accuracy on a held-out split is kept, so the test split only
scores the final choice. The solver is written out here (60 lines) rather than taken from optax:
optax's L-BFGS with its zoom line search took 13-17 s to compile per feature width on the 2-core
CPU, more than the fits themselves. Widths are padded with zero columns to a multiple of 64, which
changes no solution (a zero column's weight feels only the L2 pull and stays 0) and lets layers share
a few compiled programs; compiled programs also persist in the compilation cache.

scikit-learn's `LogisticRegression(solver='lbfgs')` was measured against this on the same problems
(experiments/LAYERS.md, "Speed") and was the slower of the two.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

L2_GRID = (1e-4, 1e-3, 1e-2, 1e-1)   # penalty l2/2 * |W|^2 added to the mean cross-entropy
MAX_ITER = 100                       # on Fashion-MNIST features, test accuracy within 0.003 of 300 iterations
TOLERANCE = 1e-4                     # stop when the largest gradient entry falls below this
MEMORY = 10
_WIDTH_STEP = 64


@dataclasses.dataclass(frozen=True)
class ProbeResult:
    """Accuracies of the probe chosen on the held-out split, and its regularisation."""

    train_accuracy: float
    validation_accuracy: float
    test_accuracy: float
    l2: float
    iterations: int

    def as_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


def _objective(w: jax.Array, x: jax.Array, onehot: jax.Array, l2: jax.Array) -> jax.Array:
    """Mean softmax cross-entropy of x @ w[:-1] + w[-1] (the last row is the bias) plus l2/2 |w[:-1]|^2."""
    logits = x @ w[:-1] + w[-1]
    nll = jax.nn.logsumexp(logits, axis=-1) - jnp.sum(logits * onehot, axis=-1)
    return nll.mean() + 0.5 * l2 * jnp.sum(w[:-1] * w[:-1])


def _direction(grad: jax.Array, s: jax.Array, y: jax.Array, rho: jax.Array, count: jax.Array) -> jax.Array:
    """-H g by the two-loop recursion over the last `count` (up to MEMORY) steps, newest at index count-1 mod MEMORY."""
    def newest_first(i, carry):
        q, alphas = carry
        j = (count - 1 - i) % MEMORY
        alpha = jnp.where(i < count, rho[j] * jnp.sum(s[j] * q), 0.0)
        return q - alpha * y[j], alphas.at[j].set(alpha)

    q, alphas = jax.lax.fori_loop(0, MEMORY, newest_first, (grad, jnp.zeros(MEMORY, grad.dtype)))
    last = (count - 1) % MEMORY
    gamma = jnp.where(count > 0, jnp.sum(s[last] * y[last]) / jnp.maximum(jnp.sum(y[last] * y[last]), 1e-30), 1.0)
    r = gamma * q

    def oldest_first(i, r):
        j = (count - MEMORY + i) % MEMORY
        used = i >= MEMORY - count
        beta = rho[j] * jnp.sum(y[j] * r)
        return jnp.where(used, r + s[j] * (alphas[j] - beta), r)

    return -jax.lax.fori_loop(0, MEMORY, oldest_first, r)


def _minimise(x: jax.Array, onehot: jax.Array, l2: jax.Array, max_iter: jax.Array) -> tuple[jax.Array, jax.Array]:
    value_and_grad = jax.value_and_grad(functools.partial(_objective, x=x, onehot=onehot, l2=l2))
    w = jnp.zeros((x.shape[1] + 1, onehot.shape[1]), x.dtype)
    value, grad = value_and_grad(w)
    memory = jnp.zeros((MEMORY, *w.shape), x.dtype)

    def step(carry):
        w, value, grad, s, y, rho, count, it = carry
        direction = _direction(grad, s, y, rho, count)
        slope = jnp.sum(direction * grad)
        direction, slope = jnp.where(slope < 0, direction, -grad), jnp.where(slope < 0, slope, -jnp.sum(grad * grad))
        first = jnp.where(count > 0, 1.0, 1.0 / jnp.maximum(jnp.sqrt(jnp.sum(grad * grad)), 1.0))

        def too_long(ls):   # Armijo: halve the step until the objective drops enough
            a, v, _, tries = ls
            return (v > value + 1e-4 * a * slope) & (tries < 30)

        def shorter(ls):
            a, _, _, tries = ls
            v, g = value_and_grad(w + 0.5 * a * direction)
            return 0.5 * a, v, g, tries + 1

        v0, g0 = value_and_grad(w + first * direction)
        a, new_value, new_grad, _ = jax.lax.while_loop(too_long, shorter, (first, v0, g0, 0))
        ds, dy = a * direction, new_grad - grad
        curvature = jnp.sum(ds * dy)
        keep = curvature > 1e-10
        slot = count % MEMORY
        s = jnp.where(keep, s.at[slot].set(ds), s)
        y = jnp.where(keep, y.at[slot].set(dy), y)
        rho = jnp.where(keep, rho.at[slot].set(1.0 / jnp.where(keep, curvature, 1.0)), rho)
        return w + ds, new_value, new_grad, s, y, rho, count + keep.astype(count.dtype), it + 1

    def going(carry):
        return (carry[7] < max_iter) & (jnp.max(jnp.abs(carry[2])) > TOLERANCE)

    carry = (w, value, grad, memory, memory, jnp.zeros(MEMORY, x.dtype), jnp.int32(0), jnp.int32(0))
    w, *_, iterations = jax.lax.while_loop(going, step, carry)
    return w, iterations


@functools.partial(jax.jit, static_argnames="num_classes")
def _fit(x: jax.Array, labels: jax.Array, l2s: jax.Array, num_classes: int, max_iter: jax.Array):
    """(weights [L, d + 1, K], the last row the bias; iterations [L]) for every l2 in `l2s`."""
    onehot = jax.nn.one_hot(labels, num_classes, dtype=x.dtype)
    return jax.vmap(lambda l2: _minimise(x, onehot, l2, max_iter))(l2s)


def standardize(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Every array flattened per example and z-scored with the train features' mean and std (constant features -> 0)."""
    train = train.reshape(len(train), -1).astype(np.float32)
    mean, std = train.mean(0), train.std(0)
    std = np.where(std > 1e-6 * max(float(std.max(initial=0.0)), 1e-30), std, np.inf)
    return [(a.reshape(len(a), -1).astype(np.float32) - mean) / std for a in (train, *others)]


def _padded(a: np.ndarray) -> np.ndarray:
    """Features with zero columns up to a multiple of `_WIDTH_STEP`."""
    width = -(-a.shape[1] // _WIDTH_STEP) * _WIDTH_STEP
    return np.pad(a, ((0, 0), (0, width - a.shape[1])))


def _accuracy(x: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> float:
    return float(np.mean(np.argmax(x @ weights[:-1] + weights[-1], -1) == labels))


def fit(train: tuple[np.ndarray, np.ndarray], validation: tuple[np.ndarray, np.ndarray],
        test: tuple[np.ndarray, np.ndarray], num_classes: int, l2_grid: tuple[float, ...] = L2_GRID,
        max_iter: int = MAX_ITER) -> ProbeResult:
    """Fits the probe on `train` (features [N, ...], labels [N]) at every l2, keeps the best on `validation`,
    and scores that one on `test`."""
    x_train, x_val, x_test = (_padded(a) for a in standardize(train[0], validation[0], test[0]))
    weights, iterations = jax.device_get(
        _fit(jnp.asarray(x_train), jnp.asarray(train[1], jnp.int32), jnp.asarray(l2_grid, jnp.float32),
             num_classes, jnp.int32(max_iter)))
    val_acc = [_accuracy(x_val, validation[1], w) for w in weights]
    best = int(np.argmax(val_acc))   # ties go to the smallest penalty, the first in the grid
    return ProbeResult(train_accuracy=_accuracy(x_train, train[1], weights[best]),
                       validation_accuracy=val_acc[best],
                       test_accuracy=_accuracy(x_test, test[1], weights[best]),
                       l2=float(l2_grid[best]), iterations=int(iterations[best]))
