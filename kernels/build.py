"""Compiles the C++ kernel library once per source and toolchain version, into a cache directory.

The library is built on first use (or by `python -m kernels.build`) rather than by `pip install`,
so that installing layerwise never depends on a compiler: where the build fails, training runs on
XLA's own kernels. The headers come from the installed packages (XLA's FFI API from jaxlib,
oneDNN's from `onednn-devel`), so the build needs nothing pip has not already installed. One
g++ call, about 15 s on 2 cores; the output's name carries a digest of the sources, the compiler
and the package versions, so a changed input builds a new library and never reuses a stale one.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parent / "src"
SOURCES = ("conv.cc", "rnn.cc")
HEADERS = ("onednn.h",)


class BuildError(RuntimeError):
    """The library could not be built; the message is one line saying why."""


def cache_dir() -> Path:
    base = os.environ.get("LAYERWISE_KERNEL_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "layerwise" / "kernels"
    return Path(base)


def _package_file(package: str, suffix: str) -> Path:
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        raise BuildError(f"package {package} is not installed (pip install -e '.[kernels]', or pip install onednn-devel)") \
            from None
    for file in dist.files or ():
        if str(file).endswith(suffix):
            return Path(dist.locate_file(file)).resolve()
    raise BuildError(f"package {package} has no file ending in {suffix}")


def onednn_lib_dir() -> Path:
    """Where the `onednn` wheel put libdnnl.so and the runtime libraries it needs."""
    return _package_file("onednn", "libdnnl.so.3").parent


def _compiler() -> str:
    compiler = os.environ.get("CXX", "g++")
    found = shutil.which(compiler)
    if not found:
        raise BuildError(f"no C++ compiler: {compiler!r} is not on PATH (install g++ or set CXX)")
    return found


def _command(output: Path) -> list[str]:
    import jax

    onednn_include = _package_file("onednn-devel", "include/oneapi/dnnl/dnnl.hpp").parents[2]
    return [_compiler(), "-O2", "-std=c++17", "-fPIC", "-shared", *(str(SOURCE_DIR / s) for s in SOURCES),
            f"-I{jax.ffi.include_dir()}", f"-I{onednn_include}", f"-L{onednn_lib_dir()}", "-ldnnl",
            "-o", str(output)]


def library_path() -> Path:
    """The path the library for these sources, this compiler and these package versions has."""
    digest = hashlib.sha256()
    for name in (*SOURCES, *HEADERS):
        digest.update((SOURCE_DIR / name).read_bytes())
    for package in ("jaxlib", "onednn", "onednn-devel"):
        try:
            digest.update(f"{package}={metadata.version(package)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package}=none;".encode())
    digest.update(os.environ.get("CXX", "g++").encode())
    return cache_dir() / f"liblayerwise_kernels-{digest.hexdigest()[:16]}.so"


def build(force: bool = False, retry: bool = False) -> Path:
    """The library's path, compiling it first if needed. A failure is remembered (`.failed.txt` beside
    the library), so later processes do not retry it unless `retry`; `force` rebuilds even a built
    library. Raises BuildError."""
    target = library_path()
    failed = target.with_suffix(".failed.txt")
    if target.exists() and not force:
        return target
    if failed.exists() and not (force or retry):
        raise BuildError(failed.read_text().strip())
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time; later waiters find it done
        if target.exists() and not force:
            return target
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        try:
            command = _command(partial)
            result = subprocess.run(command, capture_output=True, text=True, timeout=900)
        except (BuildError, OSError, subprocess.TimeoutExpired) as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            failed.write_text(message + "\n")
            raise BuildError(message) from None
        if result.returncode:
            errors = [line for line in result.stderr.splitlines() if "error" in line] or result.stderr.splitlines()
            message = f"compiler failed: {(errors or ['no output'])[0][:300]}"
            failed.write_text(message + "\n" + result.stderr)
            partial.unlink(missing_ok=True)
            raise BuildError(message)
        partial.replace(target)
        failed.unlink(missing_ok=True)
        return target


def main() -> None:
    """`python -m kernels.build [--force]`: build (retrying a remembered failure; --force rebuilds a
    built library too) and print the library's path; exit 1 with one line on failure."""
    try:
        print(build(force="--force" in sys.argv[1:], retry=True))
    except BuildError as error:
        print(f"error: kernel library not built: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
