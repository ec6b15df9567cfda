"""Fixtures shared by the tests of the command line's checks."""

from __future__ import annotations

import os
import tempfile

import pytest

import mips.pipeline

# Commands the tests run compile into a cache of this test session, never the user's own.
os.environ.setdefault("MIPS_COMPILE_CACHE", tempfile.mkdtemp(prefix="mips-test-compile-cache-"))


@pytest.fixture
def no_training(tmp_path, monkeypatch):
    """Run from tmp_path; any training is a failure of the test (bad input is found first)."""
    monkeypatch.chdir(tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(mips.pipeline, "synthesize", refuse)
    return tmp_path


@pytest.fixture
def one_line_error(capsys):
    """Check that the command printed nothing on stdout and one `mips: error:` line holding
    each fragment on stderr."""

    def check(*fragments: str) -> str:
        captured = capsys.readouterr()
        assert captured.out == ""
        lines = captured.err.splitlines()
        assert len(lines) == 1, captured.err
        assert lines[0].startswith("mips: error: ")
        for fragment in fragments:
            assert fragment in lines[0]
        return lines[0]

    return check
