"""The CPU devices that the training bank is split over, however a program imports mips."""

import os
import subprocess
import sys

from mips import jaxsetup


def _devices_seen(script: str) -> int:
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env["JAX_PLATFORMS"] = "cpu"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    return int(done.stdout.split()[-1])


def test_mips_asks_for_its_devices_even_when_jax_was_imported_first():
    assert _devices_seen("import mips, jax; print(len(jax.devices()))") == jaxsetup.HOST_DEVICES
    assert _devices_seen("import jax, mips; print(len(jax.devices()))") == jaxsetup.HOST_DEVICES


def test_mips_leaves_a_jax_that_has_started_as_it_is():
    assert _devices_seen("import jax; jax.devices(); import mips; print(len(jax.devices()))") == 1
