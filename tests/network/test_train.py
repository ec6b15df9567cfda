"""Training: the bank computes the flax network, the search's order and stopping rules,
the time budget, determinism, and reuse of a saved network."""

import time
from dataclasses import asdict, replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mips import tasks
from mips.data import DataConfig, make_task_data
from mips.events import CANDIDATE_DONE, CANDIDATE_STARTED
from mips.io.runs import save_run, saved_search
from mips.network import bank
from mips.network.bank import BankShape
from mips.network.model import Arch, Network, choose_encoding, forward, loss
from mips.network.train import SearchConfig, TrainConfig, learning_rate, padded_size, perfect_networks, reason_to_leave
from mips.pipeline import PipelineConfig, synthesize
from mips.task import define_task

TINY_DATA = DataConfig(train_sequences=512, heldout_sequences=256)


def _setup(name):
    task = tasks.get(name)
    data = make_task_data(task, TINY_DATA, seed=0)
    return task, data, choose_encoding(data.train, task.input_values)


@pytest.mark.parametrize("hidden, expected", [(1, 1), (2, 2), (3, 4), (4, 4), (5, 8), (8, 8), (9, 16)])
def test_padded_size_is_the_next_power_of_two(hidden, expected):
    assert padded_size(hidden) == expected


@pytest.mark.parametrize("hidden, expected", [(1, 8), (3, 8), (8, 8), (9, 16), (24, 32)])
def test_padded_size_is_at_least_the_floor(hidden, expected):
    assert padded_size(hidden, 8) == expected


@pytest.mark.parametrize(
    "most, sizes", [(3, [1, 2, 3]), (10, [1, 2, 3, 4, 5, 6, 7, 8, 10]), (32, [1, 2, 3, 4, 5, 6, 7, 8, 12, 18, 27, 32])]
)
def test_hidden_sizes_are_every_size_to_8_then_half_again(most, sizes):
    assert SearchConfig(max_hidden=most).hidden_sizes() == sizes


def test_candidates_are_narrow_up_to_8_then_every_size_again_wide():
    search = SearchConfig(max_hidden=12)
    candidates = search.candidates()
    narrow = [a for a in candidates if a.width == search.width]
    wide = [a for a in candidates if a.width == search.wide_width]
    assert candidates == narrow + wide  # every narrow candidate first
    assert narrow == [Arch(n, f, g, 16) for n in range(1, 9) for f, g in search.depths]
    assert wide == [Arch(n, 2, 2, 128) for n in [1, 2, 3, 4, 5, 6, 7, 8, 12]]


def test_no_wide_width_means_narrow_candidates_only():
    assert SearchConfig(max_hidden=12, wide_width=0).candidates() == [
        Arch(n, f, g, 16) for n in range(1, 9) for f, g in SearchConfig().depths
    ]


def test_max_hidden_caps_the_narrow_and_the_wide_candidates():
    candidates = SearchConfig(max_hidden=3).candidates()
    assert {(a.hidden, a.width) for a in candidates} == {(n, w) for n in (1, 2, 3) for w in (16, 128)}


def test_a_wide_width_equal_to_the_narrow_one_is_refused():
    with pytest.raises(ValueError, match="wide_width"):
        SearchConfig(width=16, wide_width=16)


@pytest.mark.parametrize(
    "steps, perfect_at, expected",
    [
        (0, None, 1e-2),
        (2000, None, 1e-3),  # halfway to max_steps: halfway (in log) to the final rate
        (4000, None, 1e-4),
        (8000, None, 1e-4),  # a close candidate's extra steps stay at the final rate
        (3000, 2000, 1e-4),  # polishing: a tenth of the rate when it became perfect
        (9000, 6000, 1e-5),  # ...and no lower than a tenth of the final rate
    ],
)
def test_the_rate_decays_to_the_final_rate_and_stays_there(steps, perfect_at, expected):
    config = TrainConfig(learning_rate=1e-2, final_rate_factor=1e-2, max_steps=4000)
    assert learning_rate(steps, perfect_at, config) == pytest.approx(expected)


def test_a_wide_candidate_trains_in_its_own_bank_after_the_narrow_ones_fail():
    _, data, encoding = _setup("Parity_All")  # a linear f cannot keep a parity; f of depth 2 can
    search = SearchConfig(max_hidden=1, depths=((1, 1),), wide_width=32, wide_depths=((2, 1),))
    config = TrainConfig(seeds=4, slots=8, patience=300, polish_steps=0)
    result = next(perfect_networks(encoding, data, search, config, key=jax.random.key(0)))
    narrow, wide = result.attempts
    assert narrow.arch == Arch(1, 1, 1, 16) and not narrow.perfect
    assert wide.arch == Arch(1, 2, 1, 32) and wide.perfect
    assert result.network.arch == wide.arch
    assert [p.shape for p in jax.tree.leaves(result.network.params["f"]["Dense_0"])] == [
        (32,),
        (4, 32),
    ]  # bias; (hidden 1 + 3 features) x 32


@pytest.mark.parametrize("f_depth, g_depth, hidden", [(1, 1, 3), (2, 2, 3), (2, 1, 1), (1, 2, 8), (3, 2, 2)])
def test_a_bank_network_is_the_flax_network_it_becomes(f_depth, g_depth, hidden):
    _, data, encoding = _setup("Sum_Last2")
    arch = Arch(hidden, f_depth, g_depth, 16)
    shape = BankShape(8, encoding.feature_size, encoding.output_width, 16, 3, 2)
    params, spec = bank.init_network(arch, shape, rng=np.random.default_rng(hidden))
    features = jnp.asarray(encoding.features(data.train.inputs[:64]))
    bank_hidden, bank_raw = bank.forward(params, spec, features)
    assert np.all(np.asarray(bank_hidden)[..., hidden:] == 0)  # padded units stay off

    flax_params = bank.to_flax(jax.tree.map(np.asarray, params), arch, shape)
    flax_hidden, flax_raw = forward(flax_params, arch, encoding, features)
    np.testing.assert_allclose(np.asarray(flax_hidden), np.asarray(bank_hidden)[..., :hidden], atol=1e-5)
    np.testing.assert_allclose(np.asarray(flax_raw), np.asarray(bank_raw), atol=1e-5)
    # and it is a Network that runs on its own
    assert Network(arch, encoding, flax_params).run(data.train.inputs[:4])[0].shape == (4, data.train.length, hidden)


def test_unused_layers_and_padded_units_get_no_gradient():
    _, data, encoding = _setup("Sum_Last2")
    arch = Arch(2, 1, 2, 16)
    shape = BankShape(4, encoding.feature_size, encoding.output_width, 16, 2, 2)
    params, spec = bank.init_network(arch, shape, rng=np.random.default_rng(0))
    x = jnp.asarray(encoding.features(data.train.inputs[:32]))
    y = jnp.asarray(data.train.outputs[:32])
    grads = jax.grad(lambda p: loss(bank.forward(p, spec, x)[1], y, encoding))(params)
    f, g = grads["f"], grads["g"]
    # f has depth 1: its trunk layer and depth-2 head are unused
    assert not np.any(np.asarray(f["layers"][0]["kernel"])) and not np.any(np.asarray(f["heads"][1]["kernel"]))
    assert not np.any(np.asarray(f["heads"][0]["kernel"])[:, 2:])  # outputs to padded units
    assert not np.any(np.asarray(f["heads"][0]["kernel"])[2:4])  # rows fed by padded units
    assert np.any(np.asarray(f["heads"][0]["kernel"])[:2])
    # g has depth 2: its linear head is unused; padded units feed nothing
    assert not np.any(np.asarray(g["heads"][0]["kernel"]))
    assert not np.any(np.asarray(g["layers"][0]["kernel"])[2:]) and np.any(np.asarray(g["layers"][0]["kernel"])[:2])


def test_a_bank_refuses_a_network_that_does_not_fit():
    shape = BankShape(4, 3, 2, 16, 2, 2)
    with pytest.raises(ValueError):
        bank.init_network(Arch(5, 1, 1, 16), shape, rng=np.random.default_rng(0))
    with pytest.raises(ValueError):
        bank.init_network(Arch(2, 3, 1, 16), shape, rng=np.random.default_rng(0))


def test_search_past_its_deadline_trains_nothing_and_reports_it():
    _, data, encoding = _setup("Sum_Last3")
    result = next(
        perfect_networks(
            encoding,
            data,
            SearchConfig(max_hidden=2, wide_width=0),
            TrainConfig(seeds=2, slots=4),
            key=jax.random.key(0),
            deadline=time.monotonic() - 1,
        )
    )
    assert result.network is None and result.out_of_time and result.attempts == ()


def test_search_stopped_by_its_deadline_says_which_candidate_it_stopped():
    _, data, encoding = _setup("Sum_Last3")  # hidden size 1 cannot hold three inputs
    config = TrainConfig(seeds=2, slots=4, eval_every=50, polish_steps=0, patience=0, max_steps=10**6)
    deadline = time.monotonic() + 2.0
    result = next(
        perfect_networks(
            encoding,
            data,
            SearchConfig(max_hidden=1, depths=((1, 1),), wide_width=0),
            config,
            key=jax.random.key(0),
            deadline=deadline,
        )
    )
    assert result.network is None and result.out_of_time
    assert [a.outcome for a in result.attempts] == ["time budget"]
    assert result.attempts[0].out_of_time and 0 < result.attempts[0].steps < config.max_steps


def test_search_after_an_architecture_skips_it_and_the_smaller_ones():
    _, data, encoding = _setup("Bitwise_Not")
    search = SearchConfig(max_hidden=2, depths=((1, 1), (2, 2)), wide_width=0)
    candidates = search.candidates()
    config = TrainConfig(seeds=2, slots=4, max_steps=100, eval_every=50, polish_steps=0)
    events = []
    results = perfect_networks(
        encoding, data, search, config, key=jax.random.key(0), after=candidates[1], progress=events.append
    )
    first = next(results)
    assert first.attempts[0].arch == candidates[2]
    # Each candidate is reported as it starts and as it leaves, counted in the whole search's order.
    starts = [e for e in events if e.kind == CANDIDATE_STARTED]
    assert [e.candidate for e in starts][:2] == [3, 4] and {e.candidates for e in starts} == {len(candidates)}
    assert starts[0].text == f"  training {candidates[2].describe()} (candidate 3 of 4)"
    left = next(e for e in events if e.kind == CANDIDATE_DONE)
    assert left.candidate == 3 and left.perfect == first.attempts[0].perfect
    assert str(left).startswith(f"  {candidates[2].describe()}: ")  # the line a log shows


def test_an_architecture_that_stops_improving_is_abandoned_early():
    _, data, encoding = _setup("Sum_Last3")  # hidden size 1 cannot hold three inputs
    config = TrainConfig(seeds=2, slots=2, max_steps=4000, eval_every=50, patience=200, polish_steps=0)
    result = next(
        perfect_networks(
            encoding, data, SearchConfig(max_hidden=1, depths=((1, 1),), wide_width=0), config, key=jax.random.key(0)
        )
    )
    (attempt,) = result.attempts
    assert attempt.plateau and attempt.outcome == "plateau" and not attempt.perfect and not attempt.out_of_time
    assert attempt.steps < 4000 and attempt.errors > 0


def test_a_smaller_candidate_is_given_up_once_a_larger_one_is_perfect_and_it_has_caught_up():
    _, data, encoding = _setup("Parity_All")  # a linear f cannot keep a parity; f of depth 2 can
    search = SearchConfig(max_hidden=1, depths=((1, 1), (2, 1)), wide_width=0)
    config = TrainConfig(seeds=4, slots=8, patience=0, min_steps=300, polish_steps=0)
    result = next(perfect_networks(encoding, data, search, config, key=jax.random.key(0)))
    linear, deep = result.attempts
    assert result.network is not None and result.network.arch == Arch(1, 2, 1, 16)
    assert deep.perfect and deep.outcome == "perfect"
    assert linear.outcome == "caught up" and not linear.perfect
    # far from perfect (a linear f cannot keep a parity): as many steps as the perfect one needed
    assert linear.steps == max(config.min_steps, deep.steps)  # checks come every 100 steps


RULES = TrainConfig(
    max_steps=4000, patience=1000, close_patience=2000, min_steps=500, catch_up=2.0, close_extension=2.0
)


@pytest.mark.parametrize(
    "steps, rate, expected",
    [
        (4000, 0.2, "step limit"),  # far from perfect: the step limit
        (4000, 0.001, None),  # close (at most 1% wrong): trains on past it
        (7900, 0.001, None),
        (8000, 0.001, "step limit"),  # up to close_extension times the limit
        (3900, 0.2, None),
    ],
)
def test_a_close_candidate_trains_past_the_step_limit_up_to_the_extension(steps, rate, expected):
    assert reason_to_leave(steps, rate, improved_at=steps - 100, larger=[], config=RULES) == expected


@pytest.mark.parametrize(
    "rate, since_progress, expected",
    [
        (0.2, 900, None),
        (0.2, 1000, "plateau"),  # far from perfect: the patience
        (0.001, 1900, None),  # close: the close patience
        (0.001, 2000, "plateau"),
    ],
)
def test_a_candidate_leaves_on_a_plateau_and_a_close_one_is_given_longer(rate, since_progress, expected):
    assert reason_to_leave(3000, rate, improved_at=3000 - since_progress, larger=[], config=RULES) == expected


@pytest.mark.parametrize(
    "larger, steps, rate, expected",
    [
        ([700], 600, 0.2, None),
        ([700], 700, 0.2, "caught up"),  # far from perfect: the steps the larger one needed
        ([700], 1300, 0.001, None),  # close: catch_up (2) times those steps
        ([700], 1400, 0.001, "caught up"),
        ([300], 400, 0.2, None),  # and never fewer than min_steps
        ([300], 500, 0.2, "caught up"),
        ([900, 700], 700, 0.2, "caught up"),  # the quickest larger one counts
    ],
)
def test_a_smaller_candidate_leaves_after_the_steps_a_larger_perfect_one_needed(larger, steps, rate, expected):
    assert reason_to_leave(steps, rate, improved_at=steps, larger=larger, config=RULES) == expected


def test_extension_of_one_stops_close_candidates_at_the_limit():
    config = replace(RULES, close_extension=1.0)
    assert reason_to_leave(4000, 0.001, improved_at=3900, larger=[], config=config) == "step limit"


def test_the_same_seed_trains_the_same_network():
    _, data, encoding = _setup("Parity_All")
    search = SearchConfig(max_hidden=1, depths=((2, 1),), wide_width=0)
    config = TrainConfig(seeds=2, slots=2, polish_steps=100)
    first, second = (next(perfect_networks(encoding, data, search, config, key=jax.random.key(3))) for _ in range(2))
    assert first.attempts == tuple(replace(a, seconds=b.seconds) for a, b in zip(second.attempts, first.attempts))
    for a, b in zip(jax.tree.leaves(first.network.params), jax.tree.leaves(second.network.params)):
        np.testing.assert_array_equal(a, b)


QUICK = PipelineConfig(
    data=TINY_DATA,
    train=TrainConfig(seeds=2, slots=2, max_steps=600, polish_steps=100),
    search=SearchConfig(max_hidden=1, depths=((1, 1),), wide_width=0),
    extract_sequences=256,
)


def test_a_saved_network_is_reused_only_for_the_same_task_and_training(tmp_path):
    task = tasks.get("Bitwise_Not")
    first = synthesize(task, QUICK)
    assert first.network is not None
    save_run(first, tmp_path / "run")

    reuse = saved_search(tmp_path / "run", task, QUICK)
    assert reuse is not None and reuse.search.network.arch == first.network.arch
    for name, value in reuse.search.network.params["f"]["Dense_0"].items():
        np.testing.assert_array_equal(value, first.network.params["f"]["Dense_0"][name])

    again = synthesize(task, QUICK, reuse=reuse)
    assert again.reused_network and again.search.attempts == reuse.search.attempts
    assert again.program == first.program

    assert saved_search(tmp_path / "run", task, replace(QUICK, seed=1)) is None
    assert saved_search(tmp_path / "run", task, replace(QUICK, train=replace(QUICK.train, max_steps=700))) is None
    assert saved_search(tmp_path / "run", tasks.get("Bitwise_And"), QUICK) is None
    assert saved_search(tmp_path / "missing", task, QUICK) is None
    # A different verification or time budget does not change the network: still reused.
    assert saved_search(tmp_path / "run", task, replace(QUICK, time_budget=5.0)) is not None

    # The same name and source with another rule (an edited task file): other data, trained again.
    edited = define_task(
        name=task.name,
        input_dim=1,
        length=task.length,
        input_values=task.input_values,
        reference=lambda xs: list(xs),
        source=task.source,
    )
    candidate = saved_search(tmp_path / "run", edited, QUICK)
    assert candidate is not None  # the folder's name, source and training agree...
    retrained = synthesize(edited, QUICK, reuse=candidate)
    assert not retrained.reused_network  # ...but the data does not
    assert retrained.data_fingerprint != first.data_fingerprint


def test_a_candidates_training_does_not_depend_on_what_trained_before_it():
    """Its weights, data and focus come from the seed and its place in the order: searched from
    the start or with the first candidate skipped, the second trains to the same network."""
    _, data, encoding = _setup("Parity_All")
    search = SearchConfig(max_hidden=1, depths=((1, 1), (2, 1)), wide_width=0)
    config = TrainConfig(seeds=2, slots=4, polish_steps=100, min_steps=100)
    whole = next(perfect_networks(encoding, data, search, config, key=jax.random.key(5)))
    skipped = next(perfect_networks(encoding, data, search, config, key=jax.random.key(5), after=Arch(1, 1, 1, 16)))
    assert [a.arch for a in whole.attempts] == [Arch(1, 1, 1, 16), Arch(1, 2, 1, 16)]
    assert [a.arch for a in skipped.attempts] == [Arch(1, 2, 1, 16)]
    assert whole.attempts[1].steps == skipped.attempts[0].steps
    assert whole.attempts[1].seed_index == skipped.attempts[0].seed_index
    for a, b in zip(jax.tree.leaves(whole.network.params), jax.tree.leaves(skipped.network.params)):
        np.testing.assert_array_equal(a, b)


def test_every_check_is_observed_and_replaying_the_checks_finds_the_same_network():
    """`observe` sees each candidate's checks; replayed with the search's own rules
    (benchmarks/replay_search.py), they give the network the search itself found."""
    import importlib.util
    from pathlib import Path

    from mips.network.train import Check

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "replay_search.py"
    spec = importlib.util.spec_from_file_location("replay_search", path)
    replay_search = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(replay_search)
    _, data, encoding = _setup("Parity_All")
    search, config = SearchConfig(max_hidden=1, wide_width=0), TrainConfig(catch_up=1e9)
    checks: list[Check] = []
    lenient = next(perfect_networks(encoding, data, search, config, key=jax.random.key(0), observe=checks.append))
    for order in {c.order for c in checks}:
        mine = [c for c in checks if c.order == order]
        assert [c.steps for c in mine] == [100 * (i + 1) for i in range(len(mine))]
        assert all(len(c.quick) == config.seeds and c.quick_outputs > 0 for c in mine)
        polishing = [c.polishing for c in mine]
        assert polishing == sorted(polishing)  # once perfect, polished to the end
    row = {"checks": [{**asdict(c), "arch": asdict(c.arch)} for c in checks]}
    searched = next(perfect_networks(encoding, data, search, TrainConfig(), key=jax.random.key(0)))
    found, chunks, steps, unknown = replay_search.replay(row, TrainConfig())
    assert found == tuple(asdict(searched.network.arch).values()) == tuple(asdict(lenient.network.arch).values())
    assert unknown == 0 and chunks >= steps // 100 // 4


def test_a_close_candidate_is_focused_on_wrong_sequences_anywhere_in_the_training_set():
    """The focus pool is the whole training set (up to FOCUS_POOL), not its first part: a
    candidate's few wrong training sequences may lie anywhere."""
    from mips.network import train

    task = tasks.get("Parity_All")
    data = make_task_data(task, DataConfig(train_sequences=3072, heldout_sequences=256), seed=0)
    encoding = choose_encoding(data.train, task.input_values)
    config = TrainConfig(seeds=2, slots=4)
    shape = BankShape.for_archs([Arch(1, 1, 1, 16)], 1, encoding)
    search_bank = train._Bank(shape, encoding, data, config, jax.random.key(0))
    search_bank.place(Arch(1, 1, 1, 16), np.arange(2), np.random.default_rng(0))
    wrong = search_bank.wrong_training_sequences()
    assert wrong.shape == (4, 3072) and train.FOCUS_POOL >= 3072
    assert wrong[:2, 2048:].any()  # an untrained network is wrong beyond the first 2,048 too
