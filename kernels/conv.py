"""2-D convolution whose CPU lowering is oneDNN (forward, input gradient, kernel gradient) and whose
lowering on every other platform is `lax.conv_general_dilated` with autodiff's gradient, as before.

On 2 CPU cores XLA:CPU's convolutions were the measured gap to PyTorch (a ResNet-20 3x3 16->16
convolution on 128x28x28: forward 7.3 ms against PyTorch's oneDNN 4.7, kernel gradient 14.3 against
7.0; see benchmarks/RESULTS.md). `conv_general_dilated` has lax's signature, so flax's `nn.Conv`
takes it as its `conv_general_dilated`; problems the kernels do not cover (not 2-D NHWC/HWIO
float32 or bfloat16, dilation, groups) go to lax unchanged. bfloat16 convolutions accumulate in
float32 inside oneDNN, as XLA's do.
"""

from __future__ import annotations

import functools
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.experimental.custom_partitioning import custom_partitioning
from jax.sharding import NamedSharding, PartitionSpec as P

_NHWC = lax.conv_dimension_numbers((1, 1, 1, 1), (1, 1, 1, 1), ("NHWC", "HWIO", "NHWC"))
_TYPES = (jnp.float32, jnp.bfloat16)  # the element types the kernels take
Window = tuple[int, int, int, int, int, int]  # stride h, stride w, pad top, bottom, left, right


def _output_shape(x_shape, kernel_shape, window: Window) -> tuple[int, int, int, int]:
    sh, sw, pt, pb, pl, pr = window
    n, h, w, _ = x_shape
    kh, kw, _, o = kernel_shape
    return n, (h + pt + pb - kh) // sh + 1, (w + pl + pr - kw) // sw + 1, o


def _lax_conv(x, kernel, window: Window):
    sh, sw, pt, pb, pl, pr = window
    return lax.conv_general_dilated(x, kernel, (sh, sw), ((pt, pb), (pl, pr)), dimension_numbers=_NHWC)


def _call(target: str, shape, *operands, window: Window):
    out = jax.ShapeDtypeStruct(shape, operands[0].dtype)
    return jax.ffi.ffi_call(target, out, vmap_method="sequential")(*operands, window=np.asarray(window, np.int64))


def _forward_call(x, kernel, window: Window):
    return _call("layerwise_conv_forward", _output_shape(x.shape, kernel.shape, window), x, kernel, window=window)


def _input_grad_call(dy, kernel, window: Window, x_shape: tuple[int, ...]):
    return _call("layerwise_conv_input_grad", (dy.shape[0], *x_shape[1:]), dy, kernel, window=window)


def _kernel_grad_call(x, dy, window: Window, kernel_shape: tuple[int, ...]):
    return _call("layerwise_conv_kernel_grad", kernel_shape, x, dy, window=window)



def _split_over_batch(call, rule: str, sums_batch: bool, static_argnums: tuple[int, ...]):
    """`call(a, b, *static)` with a batch dimension leading `a` (and `b` when `sums_batch`) run per
    shard of a data-parallel mesh: each device convolves its own examples; a kernel gradient, which
    sums over the batch, is then summed over the devices. Without this, XLA would gather the whole
    batch onto every device before the custom call."""
    wrapped = custom_partitioning(call, static_argnums=static_argnums)

    def batch_axes(arg_shapes):
        spec = arg_shapes[0].sharding.spec
        return spec[0] if len(spec) else None

    def shardings(mesh, axes):
        batch = NamedSharding(mesh, P(axes))
        result = NamedSharding(mesh, P()) if sums_batch else batch
        return result, (batch, batch if sums_batch else NamedSharding(mesh, P()))

    def infer(*args):
        mesh, arg_shapes, _ = args[-3:]
        return shardings(mesh, batch_axes(arg_shapes))[0]

    def partition(*args):
        static, (mesh, arg_shapes, _) = args[:-3], args[-3:]
        axes = batch_axes(arg_shapes)
        result, operands = shardings(mesh, axes)

        def lower(a, b):
            out = call(a, b, *static)
            return lax.psum(out, axes) if sums_batch and axes is not None else out

        return mesh, lower, result, operands

    wrapped.def_partition(partition, infer_sharding_from_operands=infer, sharding_rule=rule,
                          reduction_factors=("b",) if sums_batch else (),
                          need_replication_factors=tuple(dict.fromkeys(  # all but b, never split
                              f for f in rule.replace(",", " ").replace("->", " ").split() if f != "b")))
    return wrapped


_forward = _split_over_batch(_forward_call, "b h w c, k l c o -> b y x o", False, (2,))
_input_grad = _split_over_batch(_input_grad_call, "b y x o, k l c o -> b h w c", False, (2, 3))
_kernel_grad = _split_over_batch(_kernel_grad_call, "b h w c, b y x o -> k l c o", True, (2, 3))


def _onednn_forward(x, kernel, window: Window):
    return _forward(x, kernel, window)


def _onednn_grads(x, kernel, dy, window: Window):
    return _input_grad(dy, kernel, window, x.shape), _kernel_grad(x, dy, window, kernel.shape)


def _lax_grads(x, kernel, dy, window: Window):
    return jax.vjp(functools.partial(_lax_conv, window=window), x, kernel)[1](dy)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def conv2d(x: jax.Array, kernel: jax.Array, window: Window) -> jax.Array:
    """NHWC `x` convolved with HWIO `kernel` (both float32 or both bfloat16); `window` = (stride h,
    stride w, pad top, bottom, left, right). oneDNN on CPU (the library must be loaded:
    `kernels.available()`), lax elsewhere."""
    return lax.platform_dependent(x, kernel, cpu=functools.partial(_onednn_forward, window=window),
                                  default=functools.partial(_lax_conv, window=window))


def _conv2d_fwd(x, kernel, window):
    return conv2d(x, kernel, window), (x, kernel)


def _conv2d_bwd(window, residuals, dy):
    x, kernel = residuals
    return lax.platform_dependent(x, kernel, dy, cpu=functools.partial(_onednn_grads, window=window),
                                  default=functools.partial(_lax_grads, window=window))


conv2d.defvjp(_conv2d_fwd, _conv2d_bwd)


def _is_one(values: Sequence[int] | None) -> bool:
    return values is None or all(v == 1 for v in values)


def conv_general_dilated(lhs: jax.Array, rhs: jax.Array, window_strides: Sequence[int], padding: Any,
                         lhs_dilation: Sequence[int] | None = None, rhs_dilation: Sequence[int] | None = None,
                         dimension_numbers: Any = None, feature_group_count: int = 1, batch_group_count: int = 1,
                         precision: Any = None, preferred_element_type: Any = None) -> jax.Array:
    """`lax.conv_general_dilated` with oneDNN's kernels on CPU for the cases they cover."""
    covered = (lhs.ndim == 4 and lhs.dtype in _TYPES and rhs.dtype == lhs.dtype
               and lax.conv_dimension_numbers(lhs.shape, rhs.shape, dimension_numbers) == _NHWC
               and _is_one(lhs_dilation) and _is_one(rhs_dilation) and feature_group_count == 1
               and batch_group_count == 1 and preferred_element_type in (None, lhs.dtype))
    if not covered:
        return lax.conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                                        dimension_numbers, feature_group_count, batch_group_count, precision,
                                        preferred_element_type)
    if isinstance(padding, str):
        padding = lax.padtype_to_pads(lhs.shape[1:3], rhs.shape[:2], window_strides, padding)
    (pt, pb), (pl, pr) = padding
    return conv2d(lhs, rhs, (*map(int, window_strides), int(pt), int(pb), int(pl), int(pr)))
