"""The values a synthesis hands on: what `pipeline.synthesize` returns and `io.runs` saves.

Plain frozen values; the types of the stages' own results are named for annotations only, so
that reading or reporting a result imports no stage (and no jax)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mips.choose import Candidate

if TYPE_CHECKING:
    from mips.extract import Extraction
    from mips.network.model import Network
    from mips.network.simplify import Simplified
    from mips.network.train import SearchResult
    from mips.pipeline import PipelineConfig
    from mips.regress.affine import AffineFit
    from mips.task import Task
    from mips.verify import Verdict


@dataclass(frozen=True)
class SavedSearch:
    """An earlier run's search (its network) and the fingerprint of the data it was trained on:
    it is reused only for the same training data and training configuration."""

    search: SearchResult
    data_fingerprint: str


@dataclass(frozen=True)
class Reading:
    """What was read out of one perfect network: its simplified form, the extraction and
    the candidate machines of the network that was read last, and the one chosen."""

    search: SearchResult  # the search up to this network
    simplified: Simplified | None  # None for a given network (not simplified)
    extraction: Extraction
    affine: AffineFit
    candidates: tuple[Candidate, ...]
    chosen: Candidate | None
    read: str  # which network the extraction read: "simplified", "trained" or "given"

    @property
    def reproduces(self) -> bool:
        return self.chosen is not None and self.chosen.matches_heldout


@dataclass(frozen=True)
class RunResult:
    task: Task
    config: PipelineConfig
    search: SearchResult
    extraction: Extraction | None
    affine: AffineFit | None
    candidates: tuple[Candidate, ...]
    chosen: Candidate | None
    program: str | None
    verdict: Verdict
    seconds: dict[str, float]
    reused_network: bool = False  # the network came from an earlier run, not from training
    data_fingerprint: str = ""  # of the training data (`data.data_fingerprint`)
    provenance: dict = field(default_factory=dict)  # versions, platform, device, date
    simplified: Simplified | None = None  # the simplify stage's result for the network used
    read: str = ""  # which network extraction read the chosen machine from: "simplified", "trained" or "given"
    given: dict | None = None  # a network mips did not train (`pipeline.read_given`): what it is, how it scores

    @property
    def network(self) -> Network | None:
        return self.search.network
