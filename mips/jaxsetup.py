"""How mips sets JAX up: two CPU devices, and a persistent compilation cache.

Two CPU devices: the training bank's slots are split between them, so that one run uses two
cores (measured: 150 ms against 270 ms per chunk of 32 networks). The split is part of the
computation (a network's numbers depend on how many slots share a device), so it is fixed:
the same on every machine, whatever its number of cores, and for `mips bench`'s workers too.
It must be set before JAX starts, which `mips/__init__.py` does (`prepare`).

The compilation cache, on by default for the command line. Compiling the training bank costs seconds, often more than training a small network
(`benchmarks/`); a second run of the same task, or a task with the same input and output
alphabets, finds the compiled code on disk instead. The cache lives in the user's cache
folder (`$XDG_CACHE_HOME/mips/jax`, else `~/.cache/mips/jax`), readable by the user alone:
JAX trusts what it finds there. `MIPS_COMPILE_CACHE=off` (or `--no-compile-cache`) turns it
off; `MIPS_COMPILE_CACHE=/some/folder` puts it elsewhere.

The workers of `mips bench` (its own processes, or those a Dask worker starts) allocate GPU
memory as they go (`for_workers`): JAX on a GPU takes 75% of the device's memory when it starts,
so the second worker on a GPU would find too little left.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

HOST_DEVICES = 2
_DEVICE_FLAG = "--xla_force_host_platform_device_count"
VARIABLE = "MIPS_COMPILE_CACHE"
OFF = ("off", "0", "no", "false", "none")
# Compilations shorter than this are not worth a file (reading one back costs time too).
MIN_COMPILE_SECONDS = 0.0
# Read by jaxlib when it starts a GPU backend (not at import): "false" allocates as needed.
PREALLOCATE = "XLA_PYTHON_CLIENT_PREALLOCATE"


def prepare() -> None:
    """Ask for HOST_DEVICES CPU devices, if JAX has not started and the user's XLA_FLAGS do not
    say otherwise. JAX reads XLA_FLAGS when it starts its backends, not when it is imported, so
    a program that imported jax before mips gets the same devices as the command line (the
    benchmark scripts did not, and measured a bank on one device)."""
    flags = os.environ.get("XLA_FLAGS", "")
    if started() or _DEVICE_FLAG in flags:
        return
    os.environ["XLA_FLAGS"] = f"{flags} {_DEVICE_FLAG}={HOST_DEVICES}".strip()


def for_workers(env: Mapping[str, str]) -> dict[str, str]:
    """The environment `env` with what a bench worker needs before JAX starts in it: no GPU
    memory taken in advance (several workers may share one GPU), unless `env` says otherwise."""
    return {PREALLOCATE: "false", **env}


def started() -> bool:
    """Whether JAX has started its backends (devices, threads) in this process; True when this
    JAX does not say."""
    if "jax" not in sys.modules:
        return False
    try:
        from jax._src import xla_bridge

        return bool(xla_bridge.backends_are_initialized())
    except (ImportError, AttributeError):
        return True


def slot_sharding(slots: int):
    """How the bank's slots are laid out: split over HOST_DEVICES CPU devices (when there are
    that many and they divide the slots), else on one device (a GPU, say)."""
    import jax
    import numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    devices = jax.devices()
    if devices[0].platform == "cpu" and len(devices) >= HOST_DEVICES and slots % HOST_DEVICES == 0:
        devices = devices[:HOST_DEVICES]
    else:
        devices = devices[:1]
    return NamedSharding(Mesh(np.array(devices), ("slots",)), PartitionSpec("slots"))


def default_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mips" / "jax"


def cache_folder(setting: str | None = None) -> Path | None:
    """Where the cache goes for `setting` (else the environment's), or None when it is off."""
    setting = os.environ.get(VARIABLE, "") if setting is None else setting
    if setting.strip().lower() in OFF:
        return None
    return Path(setting).expanduser() if setting.strip() else default_folder()


def enable_compile_cache(setting: str | None = None) -> Path | None:
    """Turn the cache on (before anything is compiled); returns its folder, or None when it is
    off or its folder cannot be made (then everything works as before, compiling each time)."""
    folder = cache_folder(setting)
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    if not os.access(folder, os.W_OK | os.X_OK):
        return None
    import jax

    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return folder
