"""The walking skeleton's acceptance set with the default configuration (slow: minutes)."""

import pytest

import tasks
from mips.pipeline import PipelineConfig, synthesize

SKELETON = ["Bitwise_Xor", "Parity_All", "Parity_Last2", "Sum_Last2", "Prev1", "Add_Mod_3", "Current_Number"]


@pytest.mark.slow
@pytest.mark.parametrize("name", SKELETON)
def test_default_pipeline_verifies(name):
    result = synthesize(tasks.get(name), PipelineConfig(seed=0))
    assert result.verdict.verified, result.verdict.summary()
    assert [c.sequences for c in result.verdict.checks] == [10_000, 1_000]
