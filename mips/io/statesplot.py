"""The plot of a network's hidden states, coloured by the state of the machine read from it.

A machine of a few states (or a few coordinate values) gets a colour per state and a legend;
one of many gets a colour scale of one quantity, named. For a lattice machine the hidden
states are an affine image of its integer coordinates, h = c + B s: the plot draws the basis
vectors (the columns of B, fitted on the plotted points) as arrows, and the integer grid of
the two coordinates that show most in the plotted plane through one state, as thin lines.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mips.emit import coordinate_names
from mips.errors import OutputError, RunError
from mips.io.runs import SavedRun
from mips.machines import MACHINE_ERRORS, AffineMachine, Machine, StateMachine, from_tuple

# Sequences in the plot are at most this long (a report may name any training length).
PLOT_MAX_LENGTH = 1000
MAX_LEGEND = 20  # states (or coordinate values) that get a colour each; more get a colour scale
TITLE_WIDTH = 100  # characters in a line of the title, at its size, across the figure
MAX_GRID_LINES = 25  # grid lines per direction; a wider range draws every k-th value
# The basis is drawn only where the hidden states are this close to an affine image of the
# integer coordinates (root mean square error over the spread of the hidden states).
LATTICE_FIT = 0.05


@dataclass
class Colouring:
    """What each plotted point's colour says."""

    what: str  # for the title: "the state of the 2-state machine"
    categories: list[str] = field(default_factory=list)  # legend entries, when discrete
    index: np.ndarray | None = None  # per point: its category, when discrete
    scale: np.ndarray | None = None  # per point: the value on the colour scale, when not
    scale_label: str = ""


@dataclass
class Plane:
    """How hidden states are shown in the plane: a 1-D state against time, a 2-D one as it is,
    a larger one on its two principal axes."""

    labels: tuple[str, str]
    mean: np.ndarray | None = None  # principal axes: the centre and the two axes
    axes: np.ndarray | None = None
    against_time: bool = False

    def points(self, hidden: np.ndarray, times: np.ndarray | None = None) -> np.ndarray:
        if self.against_time:
            return np.stack([times, hidden[:, 0]], axis=1)
        if self.axes is None:
            return hidden[:, :2]
        return (hidden - self.mean) @ self.axes.T

    def direction(self, vector: np.ndarray) -> np.ndarray:
        """A hidden-space direction in the plane (a step along the time axis is none)."""
        if self.against_time:
            return np.array([0.0, vector[0]])
        return vector[:2] if self.axes is None else self.axes @ vector


def plane_of(hidden: np.ndarray) -> Plane:
    if hidden.shape[1] == 1:
        return Plane(("step t", "hidden unit 0"), against_time=True)
    if hidden.shape[1] == 2:
        return Plane(("hidden unit 0", "hidden unit 1"))
    mean = hidden.mean(axis=0)
    axes = np.linalg.svd(hidden - mean, full_matrices=False)[2][:2]
    return Plane(("principal axis 1", "principal axis 2"), mean, axes)


def states_figure(run: SavedRun, *, sequences: int = 200, seed: int = 0):
    """The figure (matplotlib) of the network's hidden states on random input sequences of
    the training length, coloured by the state the chosen machine is in at the same step."""
    network = run.read_network  # the network the machine was read from
    if network is None:
        raise RunError(f"{run.folder}: no trained network to plot")
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    encoding = network.encoding
    length = min(run.report["task"]["length"], PLOT_MAX_LENGTH)
    rng = np.random.default_rng(seed)
    inputs = rng.choice(np.asarray(encoding.input_values), size=(sequences, length, encoding.input_dim))
    hidden, _ = network.run(inputs)
    hidden = hidden.reshape(-1, hidden.shape[-1])
    times = np.tile(np.arange(1, length + 1), sequences)
    plane = plane_of(hidden)
    xy = plane.points(hidden, times)
    states = _machine_states(run.machine, inputs)
    colouring = colour_by(run.machine, states)

    figure, axis = plt.subplots(figsize=(8, 6))
    _scatter(figure, axis, xy, colouring)
    notes = []
    if isinstance(run.machine, AffineMachine) and states is not None and not isinstance(states, str):
        notes.append(_draw_lattice(axis, run.machine, hidden, np.asarray(states, dtype=np.int64), plane, xy))
    axis.set_xlabel(plane.labels[0])
    axis.set_ylabel(plane.labels[1])
    read = (run.report.get("simplify") or {}).get("read") or "trained"
    title = [
        f"{run.report['task']['name']}: hidden states of the {read} network "
        f"({sequences} random sequences of {length} steps)",
        f"colour: {states if isinstance(states, str) else colouring.what}",
    ] + notes
    wrapped = [part for line in title for part in textwrap.wrap(line, TITLE_WIDTH, subsequent_indent="  ")]
    # Over the whole figure, not the axes: a legend beside the axes makes them narrower than the title.
    # parse_math=False: a $ in a task's name is a dollar sign, not TeX for matplotlib to parse
    figure.suptitle("\n".join(wrapped), fontsize=9, parse_math=False)
    figure.tight_layout()
    return figure


def plot_states(run: SavedRun, path: Path, *, sequences: int = 200, seed: int = 0) -> str:
    """Save `states_figure` to `path` (.png, .svg, .pdf, ...)."""
    from matplotlib.backend_bases import FigureCanvasBase

    ending = path.suffix.lstrip(".").lower()
    if ending and ending not in FigureCanvasBase.get_supported_filetypes():
        raise OutputError(f"--plot {path}: cannot write .{ending} files; give a name ending in .png, .svg or .pdf")
    figure = states_figure(run, sequences=sequences, seed=seed)
    import matplotlib.pyplot as plt

    try:
        figure.savefig(path, dpi=110)
    finally:
        plt.close(figure)
    return f"plot of the hidden states: {path}"


def _machine_states(machine: Machine | None, inputs: np.ndarray) -> list | str:
    """The machine's state after each step of each sequence, in the order of the plotted
    points; or why there is none."""
    if machine is None:
        return "no machine was extracted"
    try:
        runs = [machine.steps([from_tuple(step) for step in sequence]) for sequence in inputs]
    except MACHINE_ERRORS as exc:
        return f"none: the machine stopped on these inputs ({exc})"
    return [state for steps in runs for state, _ in steps]


def colour_by(machine: Machine | None, states: list | str) -> Colouring:
    """A colour per state with a legend, when the machine is in at most `MAX_LEGEND` states;
    otherwise a colour scale: of a state machine's state number, or of the coordinate that
    takes the most values (named as in the program)."""
    if machine is None or isinstance(states, str):
        return Colouring(what="")
    names = coordinate_names(machine)
    shape = f"the {machine.shape}"
    if isinstance(machine, StateMachine):
        distinct = sorted(set(states))
        if len(distinct) <= MAX_LEGEND:
            return Colouring(
                f"the state of {shape}",
                [f"state {s}" for s in distinct],
                np.searchsorted(distinct, np.asarray(states)),
            )
        return Colouring(
            f"the state number of {shape} (too many states for a colour each)",
            scale=np.asarray(states, dtype=np.float64),
            scale_label="state",
        )
    if not names:
        return Colouring(what=f"none: {shape} has no state")
    array = np.asarray(states, dtype=np.int64).reshape(len(states), -1)
    distinct, index = np.unique(array, axis=0, return_inverse=True)
    if len(distinct) <= MAX_LEGEND:
        return Colouring(
            f"the state ({', '.join(names)}) of {shape}",
            [", ".join(f"{n}={v}" for n, v in zip(names, row)) for row in distinct],
            index.reshape(-1),
        )
    widest = int(np.argmax([len(np.unique(array[:, i])) for i in range(array.shape[1])]))
    most = " that takes the most values" if len(names) > 1 else ""
    return Colouring(
        f"{names[widest]}, the coordinate of {shape}{most}",
        scale=array[:, widest].astype(np.float64),
        scale_label=names[widest],
    )


def _scatter(figure, axis, xy: np.ndarray, colouring: Colouring) -> None:
    if colouring.categories:
        import matplotlib

        count = len(colouring.categories)
        palette = matplotlib.colormaps["tab10" if count <= 10 else "tab20"]
        for k, name in enumerate(colouring.categories):
            mine = colouring.index == k
            axis.scatter(xy[mine, 0], xy[mine, 1], s=9, color=palette(k), label=name)
        axis.legend(
            fontsize=7, markerscale=1.5, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0, frameon=False
        )
    elif colouring.scale is not None:
        scatter = axis.scatter(xy[:, 0], xy[:, 1], c=colouring.scale, s=9, cmap="viridis")
        figure.colorbar(scatter, ax=axis, label=colouring.scale_label)
    else:
        axis.scatter(xy[:, 0], xy[:, 1], s=9, color="gray")


def _draw_lattice(axis, machine: AffineMachine, hidden: np.ndarray, states: np.ndarray, plane: Plane, xy) -> str:
    """The lattice's basis vectors as arrows and its integer grid as thin lines, from the
    affine map h = c + B s fitted on the plotted points; returns a line for the title."""
    names = coordinate_names(machine)
    design = np.concatenate([np.ones((len(states), 1)), states], axis=1)
    fitted, *_ = np.linalg.lstsq(design, hidden, rcond=None)
    origin, basis = fitted[0], fitted[1:]  # c, and B's columns as rows
    spread = float(np.sqrt(((hidden - hidden.mean(axis=0)) ** 2).sum(axis=1).mean())) or 1.0
    error = float(np.sqrt(((design @ fitted - hidden) ** 2).sum(axis=1).mean())) / spread
    if error > LATTICE_FIT:
        return (
            f"no basis drawn: the hidden states are not an affine image of ({', '.join(names)}) "
            f"(error {error:.2f} of their spread)"
        )
    directions = np.array([plane.direction(b) for b in basis])
    # The anchor: the state whose image is nearest the middle of the cloud.
    centre = xy.mean(axis=0)
    images = plane.points(origin + states @ basis, np.full(len(states), xy[:, 0].min()))
    anchor_index = int(np.argmin(((images - centre) ** 2).sum(axis=1)))
    anchor, anchor_xy = states[anchor_index], images[anchor_index]
    scale = _arrow_scale(directions, xy)
    low, high = states.min(axis=0), states.max(axis=0)
    shown = list(np.argsort(-np.hypot(directions[:, 0], directions[:, 1]))[:2])
    if plane.against_time:  # every direction is along the hidden unit: one set of levels
        shown = shown[:1]
    every = {}
    for i in shown:
        for j in [k for k in shown if k != i] or [None]:
            every[i] = _grid_lines(axis, anchor_xy, anchor, directions, i, j, low, high, plane.against_time)
    for i, direction in enumerate(directions):
        tip = anchor_xy + scale * direction
        axis.annotate(
            "",
            xy=tuple(tip),
            xytext=tuple(anchor_xy),
            arrowprops=dict(arrowstyle="-|>", color="black", lw=1.6, shrinkA=0, shrinkB=0),
            zorder=5,
        )
        # The name just past the tip, along the arrow, so that arrows of other directions part their names.
        length = float(np.hypot(*direction)) or 1.0
        axis.annotate(
            names[i],
            xy=tuple(tip),
            xytext=tuple(8 * direction / length),
            textcoords="offset points",
            ha="center",
            va="center",
            fontsize=9,
            fontweight="bold",
            zorder=5,
        )
    axis.set_xlim(*_padded_range(xy[:, 0]))  # the grid may reach far past the states: show the states
    axis.set_ylim(*_padded_range(xy[:, 1]))
    grid = "; ".join(f"every {every[i]} of {names[i]}" for i in shown if every[i] > 1)
    steps = f"{scale} steps along each basis vector" if scale > 1 else "the basis vectors"
    return (
        f"arrows: {steps} of ({', '.join(names)}) from the state ({', '.join(map(str, anchor))}); "
        f"grey: the integer grid through it{f' ({grid})' if grid else ''}"
    )


def _arrow_scale(directions: np.ndarray, xy: np.ndarray) -> int:
    """How many steps along a basis vector an arrow shows: the fewest of 1, 2, 5, 10, 20, ...
    that make the longest arrow a tenth of the plot's width, so that it can be seen."""
    longest = float(np.hypot(directions[:, 0], directions[:, 1]).max())
    span = float(np.ptp(xy, axis=0).max())
    return _nice(span / 10 / longest) if longest > 0 else 1


def _nice(at_least: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is at least `at_least`."""
    value = 1
    while value < at_least:
        value = value * 5 // 2 if str(value).startswith("2") else value * 2
    return value


def _padded_range(values: np.ndarray) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    margin = 0.05 * (high - low) or 0.5
    return low - margin, high + margin


def _grid_lines(axis, anchor_xy, anchor, directions, i, j, low, high, against_time: bool) -> int:
    """Lines of constant coordinate i, for its integer values from its lowest to its highest
    (every k-th, k one of 1, 2, 5, 10, 20, ..., for at most `MAX_GRID_LINES` lines), along
    coordinate j over its range, or, with no j, marks at those values along i; returns k."""
    values = np.arange(low[i], high[i] + 1)
    every = _nice(len(values) / MAX_GRID_LINES)
    values = values[(values - anchor[i]) % every == 0]
    starts = anchor_xy + np.outer(values - anchor[i], directions[i])
    style = dict(color="0.6", lw=0.6, zorder=0)
    if against_time:  # every state at a level of the hidden unit: a horizontal line
        for y in starts[:, 1]:
            axis.axhline(y, **style)
        return every
    if j is None:
        axis.plot(starts[:, 0], starts[:, 1], **style)
        axis.plot(starts[:, 0], starts[:, 1], "|", color="0.6", zorder=0)
        return every
    for start in starts:
        begin = start + (low[j] - anchor[j]) * directions[j]
        end = start + (high[j] - anchor[j]) * directions[j]
        axis.plot([begin[0], end[0]], [begin[1], end[1]], **style)
    return every
