"""Process-level settings that must be made before JAX starts its backend, and run provenance.

The CPU settings come from measurements on 2-core machines (see README, "Performance"): XLA:CPU
re-faults tens of MB of temporaries every step under glibc's default malloc (in every thread's own
arena unless there is one arena for all: 20-38k page faults per step before, 2-7k after), and this
jaxlib's YNNPACK convolution path barely uses a second core. Both are fixed here, for the whole
process, before the first computation.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import socket
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

# Convolutions go back to Eigen, which uses every core (+45-60% on 2 cores). The flag exists in
# the jaxlib releases listed here; an unknown XLA flag aborts the process, so it is never guessed.
_CONV_FLAG = "--xla_cpu_experimental_ynn_fusion_type=-individual_convolution"
_CONV_FLAG_JAXLIB = ("0.10.",)

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_M_ARENA_MAX = -8


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def configure_cpu() -> None:
    """Keeps freed memory in the process and routes CPU convolutions to all cores.

    Safe to call more than once; does nothing to flags the user already set.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if "ynn_fusion_type" not in flags and _version("jaxlib").startswith(_CONV_FLAG_JAXLIB):
        os.environ["XLA_FLAGS"] = f"{flags} {_CONV_FLAG}".strip()
    if sys.platform.startswith("linux") and "MALLOC_MMAP_MAX_" not in os.environ:
        libc_name = ctypes.util.find_library("c")
        if libc_name:
            try:
                libc = ctypes.CDLL(libc_name)
                libc.mallopt(_M_MMAP_MAX, 0)
                libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
                if "MALLOC_ARENA_MAX" not in os.environ:  # one arena, so XLA's threads keep memory too
                    libc.mallopt(_M_ARENA_MAX, 1)
            except (OSError, AttributeError):
                pass  # Not glibc (musl, ...): keep the default allocator.


def enable_compilation_cache(cache_dir: str | os.PathLike | None = None) -> Path:
    """Persists compiled programs so a second run of the same experiment skips most compile time.

    JAX's defaults skip compiles under 1 s, which is every compile of a small model, hence the
    thresholds of zero. `LAYERWISE_COMPILATION_CACHE` overrides the directory.
    """
    import jax

    path = Path(cache_dir or os.environ.get("LAYERWISE_COMPILATION_CACHE")
                or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "layerwise" / "jax")
    path.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    return path


def _program() -> str:
    """How this process was started: 'python -m train' for modules, else the script's name."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and spec.name:
        return f"python -m {spec.name.removesuffix('.__main__')}"
    return Path(sys.argv[0]).name


def environment() -> dict[str, Any]:
    """What a reader needs to reproduce or compare a run: versions, devices, host and flags."""
    import jax

    import kernels

    devices = jax.devices()
    return {
        "versions": {name: _version(name) for name in
                     ("jax", "jaxlib", "flax", "optax", "orbax-checkpoint", "numpy", "layerwise")},
        "python": platform.python_version(),
        "platform": devices[0].platform,
        "device_kind": devices[0].device_kind,
        "device_count": jax.device_count(),
        "process_count": jax.process_count(),
        "host": socket.gethostname(),
        "cpu_count": os.cpu_count(),
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "kernel_library": kernels.describe(),
        "command": [_program(), *sys.argv[1:]],
    }
