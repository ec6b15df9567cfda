"""A real training with small budgets, for the fast end-to-end tests."""

from mips.data import DataConfig
from mips.network.train import SearchConfig, TrainConfig
from mips.pipeline import PipelineConfig
from mips.verify import VerifyConfig

SMALL = PipelineConfig(
    seed=0,
    data=DataConfig(train_sequences=2048, heldout_sequences=512),
    train=TrainConfig(seeds=4, max_steps=1500, polish_steps=500),
    search=SearchConfig(max_hidden=2, wide_width=0),
    verify=VerifyConfig(sequences=2000, long_sequences=200),
    extract_sequences=1024,
)
