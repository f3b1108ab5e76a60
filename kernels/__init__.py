"""CPU kernels from oneDNN, called by XLA in place through its FFI; XLA's own kernels elsewhere.

`resolve(choice)` turns the `kernels` config value into what the models use: 'xla' (JAX's own
operations everywhere), 'onednn' (this library's custom calls on CPU; on GPU and TPU the lowering
is still XLA's), or 'auto' (oneDNN on a CPU backend when the library is available, else XLA, with
one line saying why). Each choice is deterministic: the same choice gives the same bits.
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

CHOICES = ("auto", "xla", "onednn")
TARGETS = {  # FFI target name -> exported handler symbol
    "layerwise_conv_forward": "LayerwiseConvForward",
    "layerwise_conv_input_grad": "LayerwiseConvInputGrad",
    "layerwise_conv_kernel_grad": "LayerwiseConvKernelGrad",
    "layerwise_lstm_forward": "LayerwiseLstmForward",
    "layerwise_lstm_backward": "LayerwiseLstmBackward",
    "layerwise_gru_forward": "LayerwiseGruForward",
    "layerwise_gru_backward": "LayerwiseGruBackward",
}
WORKSPACE_SYMBOLS = {"lstm": "LayerwiseLstmWorkspaceBytes", "gru": "LayerwiseGruWorkspaceBytes"}
# Libraries libdnnl.so needs from the same wheel directory, in load order. The PyPI build of
# oneDNN runs its CPU engine through SYCL on Intel's OpenCL CPU runtime, which OCL_ICD_FILENAMES
# points at (nothing is installed system-wide).
_RUNTIME = ("libtbb.so.12", "libintlc.so.5", "libsvml.so", "libimf.so", "libsycl.so.9", "libdnnl.so.3")

_state: dict[str, object] = {}


def _load() -> None:
    import jax

    from kernels import build

    lib_dir = build.onednn_lib_dir()
    os.environ.setdefault("OCL_ICD_FILENAMES", str(lib_dir / "libintelocl.so"))
    for name in _RUNTIME:
        ctypes.CDLL(str(lib_dir / name), mode=ctypes.RTLD_GLOBAL)
    library = ctypes.CDLL(str(build.build()))
    for target, symbol in TARGETS.items():
        jax.ffi.register_ffi_target(target, jax.ffi.pycapsule(getattr(library, symbol)), platform="cpu")
    for symbol in WORKSPACE_SYMBOLS.values():
        getattr(library, symbol).restype = ctypes.c_int64
        getattr(library, symbol).argtypes = [ctypes.c_int64] * 4
    _state["path"], _state["library"] = build.library_path(), library


def available() -> bool:
    """Whether the library is built (building it on first call) and its targets registered."""
    if "available" not in _state:
        from kernels import build

        try:
            _load()
            _state["available"], _state["reason"] = True, ""
        except (build.BuildError, OSError, AttributeError) as error:
            _state["available"], _state["reason"] = False, str(error).splitlines()[0]
    return bool(_state["available"])


def unavailable_reason() -> str:
    return "" if available() else str(_state["reason"])


def library_path() -> Path | None:
    return _state.get("path") if available() else None  # type: ignore[return-value]


def describe() -> str:
    """What a run records: the library in use, why there is none, or that the run never asked for it (kernels=xla,
    a model without convolutions or LSTM layers, an accelerator), so recording never builds it."""
    if "available" not in _state:
        return "not used"
    return str(library_path()) if available() else f"unavailable: {unavailable_reason()}"


def resolve(choice: str) -> str:
    """'auto' | 'xla' | 'onednn' -> 'xla' or 'onednn'; raises ValueError for a choice that cannot run."""
    if choice not in CHOICES:
        raise ValueError(f"kernels must be one of {', '.join(CHOICES)}, got {choice!r}")
    if choice == "xla":
        return "xla"
    import jax

    if jax.default_backend() != "cpu":
        return "xla"  # the custom calls are CPU kernels; elsewhere XLA's own are the fast ones
    if available():
        return "onednn"
    if choice == "onednn":
        raise ValueError(f"kernels=onednn but the oneDNN kernel library is unavailable: {unavailable_reason()}; "
                         "use --config.kernels=xla (or auto)")
    if not _state.get("told"):
        _state["told"] = True
        print(f"layerwise: oneDNN kernels unavailable ({unavailable_reason()}); using XLA's kernels",
              file=sys.stderr, flush=True)
    return "xla"


def conv_general_dilated(choice: str):
    """What `nn.Conv(conv_general_dilated=...)` takes for a resolved choice: None (lax's) for 'xla'."""
    if choice == "xla":
        return None
    if choice != "onednn" or not available():
        raise ValueError(f"kernels={choice!r} cannot run here: {unavailable_reason() or 'resolve it first'}")
    from kernels import conv

    return conv.conv_general_dilated


def workspace_bytes(cell: str, steps: int, batch: int, features: int, hidden: int) -> int:
    """Bytes of the state the forward pass of oneDNN's `cell` ('lstm' or 'gru') keeps for its backward pass."""
    if not available():
        raise RuntimeError(f"kernel library unavailable: {unavailable_reason()}")
    size = getattr(_state["library"], WORKSPACE_SYMBOLS[cell])(steps, batch, features, hidden)
    if size < 0:
        raise RuntimeError(f"oneDNN has no {cell.upper()} for T={steps}, B={batch}, C={features}, H={hidden}")
    return int(size)
