"""mips: program synthesis by reading algorithms out of trained recurrent networks.

The Python interface (`mips.api`, loaded on first use so that `import mips` stays light):

    import mips

    task = mips.define_task(name="running_max", reference=running_max, input_values=range(10), length=10)
    result = mips.synthesize(task)      # or a built-in name, or a task/data file's path
    print(result.program, result.verdict)
    result.save("runs/running_max")

    result = mips.from_network("rnn.npz", task, activation="relu")   # a network you trained (PyTorch)
"""

from mips import jaxsetup
from mips.errors import MipsError, NetworkError, OptionError, OutputError, RunError, TaskError

__version__ = "0.1.0"

__all__ = [
    "MipsError",
    "NetworkError",
    "OptionError",
    "OutputError",
    "Result",
    "RunError",
    "TaskError",
    "define_task",
    "from_network",
    "resolve_task",
    "synthesize",
]

jaxsetup.prepare()  # before JAX starts: the CPU devices the training bank is split over

# What `mips.api` defines, loaded when first asked for (PEP 562): the command line's `--help` and
# `import mips.task` do not import jax and every stage.
_API = {"Result", "define_task", "from_network", "resolve_task", "synthesize"}


def __getattr__(name: str):
    if name in _API:
        import importlib

        return getattr(importlib.import_module("mips.api"), name)
    raise AttributeError(f"module 'mips' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _API)
