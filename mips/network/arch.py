"""A candidate architecture, as a plain value (no jax): what the search tries, the run folder
records and reports describe."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Arch:
    """One candidate architecture: hidden size, depths of f and g, MLP width."""

    hidden: int
    f_depth: int = 1
    g_depth: int = 1
    width: int = 16

    def describe(self) -> str:
        return f"hidden {self.hidden}, {self.describe_depths()}"

    def describe_depths(self) -> str:
        return f"f depth {self.f_depth}, g depth {self.g_depth}, width {self.width}"
