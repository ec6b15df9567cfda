"""The one family of errors for misuse: bad user input, corrupt run folders.

Scientific failure (no structure found, a program that does not verify) is
never an exception: it is a value that the report shows.
"""


class MipsError(Exception):
    """Something the user gave us is wrong; the message says what and how to fix it."""


class TaskError(MipsError):
    """A task (built-in name, task file or data file) cannot be used.

    `problems` lists every problem found, so that all are reported at once.
    """

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        super().__init__(f"{source}: " + "; ".join(self.problems))


class RunError(MipsError):
    """A run folder is missing, incomplete or from an incompatible version."""


class OutputError(MipsError):
    """An output folder cannot be used: it holds what mips did not write, or cannot be written."""


class OptionError(MipsError):
    """An option given to mips from Python (a keyword of `mips.synthesize`, say) is not one it can use."""


class NetworkError(MipsError):
    """A network given to `mips extract` cannot be read or run: its file, its shapes, or its code."""


class ClusterError(MipsError):
    """`mips bench --cluster` cannot be used: a bad address, Dask not installed, or no scheduler
    answering there."""
