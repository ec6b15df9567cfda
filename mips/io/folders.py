"""Which folders mips may write and replace: the user's files are never touched.

A run folder (`mips synthesize --out`) and a bench folder (`mips bench --out`) each carry a
small marker file that mips writes when it creates them. mips replaces or deletes a run
folder only when it carries the marker and holds nothing but the files mips writes there;
it writes into a bench folder only when that folder is new, empty or marked. Everything
else is a one-line error, raised before any training starts.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from mips.errors import OutputError

RUN_MARKER = ".mips-run"
BENCH_MARKER = ".mips-bench"
# What mips writes in a run folder: `save_run`, and `mips inspect`'s drawing and plot.
RUN_FILES = frozenset(
    {
        RUN_MARKER,
        "program.py",
        "report.json",
        "config.json",
        "network.npz",
        "network.json",
        "machine.json",
        "state_machine.json",
        "simplified.npz",
        "simplified.json",
        "machine.dot",
        "machine.svg",
        "states.png",
    }
)


def check_run_target(path: str | Path) -> None:
    """Raise OutputError unless a run may be saved at `path`: a new folder, an empty
    one, or a run folder of mips that holds only what mips wrote there."""
    path = Path(path)
    with _path_errors(path):
        _check_place(path)
        if not path.exists():
            return
        entries = sorted(entry.name for entry in path.iterdir())
        if not entries:
            return
        if not _is_file(path / RUN_MARKER):
            raise OutputError(
                f"--out {path}: the folder holds files that mips did not write ({_names(entries)}); "
                "mips replaces only its own run folders: choose another --out"
            )
        foreign = _foreign(path)
        if foreign:
            raise OutputError(
                f"--out {path}: this run folder also holds what mips did not write "
                f"({_names(foreign)}); move them out or choose another --out"
            )


def is_run_folder(path: str | Path) -> bool:
    """A folder that mips created for a run (its marker is there) and that holds only the
    files mips writes there: no other names, no folders, no links."""
    path = Path(path)
    try:
        return not path.is_symlink() and path.is_dir() and _is_file(path / RUN_MARKER) and not _foreign(path)
    except OSError:
        return False


def _foreign(path: Path) -> list[str]:
    """The entries of a run folder that mips did not write: any name it does not write,
    and anything that is not a plain file (a folder named program.py is the user's)."""
    return sorted(entry.name for entry in path.iterdir() if entry.name not in RUN_FILES or not _is_file(entry))


def _is_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def discard_run_folder(path: str | Path) -> None:
    """Delete a run folder that mips made (see `is_run_folder`); anything else is an error."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    if not is_run_folder(path):
        raise OutputError(
            f"{path}: not a run folder that mips wrote (no {RUN_MARKER} marker, or things mips did "
            "not write); it was left as it is"
        )
    shutil.rmtree(path)


def mark_run_folder(path: Path) -> None:
    _write_marker(path / RUN_MARKER, "run")


def check_bench_target(path: str | Path) -> None:
    """Raise OutputError unless `path` may hold a benchmark: a new or empty folder, or one
    that an earlier `mips bench` made (running again there resumes it)."""
    path = Path(path)
    with _path_errors(path):
        _check_place(path)
        if path.exists() and any(path.iterdir()) and not _is_file(path / BENCH_MARKER):
            entries = sorted(entry.name for entry in path.iterdir())
            raise OutputError(
                f"--out {path}: the folder holds files that mips did not write ({_names(entries)}) "
                "and is not a folder of `mips bench`: choose another --out"
            )


def mark_bench_folder(path: Path) -> None:
    if not (path / BENCH_MARKER).is_file():
        _write_marker(path / BENCH_MARKER, "bench")


def current_umask() -> int:
    """The process's umask (files made by mkstemp and mkdtemp are private; ours are not)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def _path_errors(path: Path):
    """A path the system refuses to look at (a name too long, a folder that cannot be
    read) is a one-line error too."""
    try:
        yield
    except OSError as exc:
        raise OutputError(f"--out {path}: {exc.strerror or exc}") from None


def _check_place(path: Path) -> None:
    """The path can become a folder of ours: not the working folder or one above it, not a
    link, not a file, not under a file, its nearest existing parent is writable, and the
    names still to be made are not too long for it."""
    resolved = path.resolve()
    here = Path.cwd().resolve()
    if here == resolved or here.is_relative_to(resolved):
        raise OutputError(
            f"--out {path}: that is the working folder or a folder above it; "
            "give a folder of its own, such as runs/NAME"
        )
    if path.is_symlink():
        raise OutputError(f"--out {path}: is a symbolic link; give the folder itself")
    if path.exists() and not path.is_dir():
        raise OutputError(f"--out {path}: is a file, not a folder")
    parent, missing = path.parent, [path.name]
    while not parent.exists():
        if parent.is_symlink():  # a dangling link
            raise OutputError(f"--out {path}: {parent} is a broken symbolic link")
        parent, missing = parent.parent, [parent.name] + missing
    if not parent.is_dir():
        raise OutputError(f"--out {path}: {parent} is a file, not a folder")
    try:  # the one reliable test (permissions, read-only or special file systems, root)
        probe = tempfile.mkdtemp(prefix=".mips-probe.", dir=parent)
    except OSError as exc:
        raise OutputError(f"--out {path}: cannot write in {parent} ({exc.strerror or exc})") from None
    os.rmdir(probe)
    longest = _name_max(parent) - 20  # room for the staging folder's prefix and suffix
    too_long = [name for name in missing if len(os.fsencode(name)) > longest]
    if too_long:
        raise OutputError(
            f"--out {path}: the name {too_long[0][:40]}... is longer than this file system allows "
            f"({longest} bytes for a run folder)"
        )


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # not on this platform
        return 255


def _write_marker(path: Path, kind: str) -> None:
    from mips import __version__

    path.write_text(json.dumps({"written_by": "mips", "kind": kind, "mips": __version__}) + "\n")


def _names(entries: list[str], shown: int = 3) -> str:
    return ", ".join(entries[:shown]) + (f" and {len(entries) - shown} more" if len(entries) > shown else "")


# Read once, at import: reading it sets it for a moment, which a thread writing then would see.
_UMASK = current_umask()


def write_atomic(path: Path, text: str) -> None:
    """Write a file whole or not at all: a reader (or a bench resumed after a kill) never sees
    half of it. The file gets the permissions the umask gives a new file."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as f:
            f.write(text)
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes files private; these are plain results
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
