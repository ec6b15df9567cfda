"""Provenance: what a result says made it."""

import subprocess
from pathlib import Path

import pytest

from mips.io.provenance import checkout_commit, provenance

ROOT = Path(__file__).resolve().parents[2]


def test_a_checkout_reports_its_own_commit():
    """The commit is read from the checkout mips runs from (the repository root, wherever
    the module sits in the package)."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (an installed copy reports no commit)")
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    )
    expected = head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    assert checkout_commit() == expected
    assert provenance()["commit"] == expected
