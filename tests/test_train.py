"""Training: padded hidden sizes, the search's time budget and skipping, and reuse of a saved network."""

import time
from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mips import tasks
from mips.data import DataConfig, make_task_data
from mips.model import Arch, Network, choose_encoding, forward, hidden_mask, init_params, loss, shrink
from mips.pipeline import PipelineConfig, synthesize
from mips.runs import save_run, saved_search
from mips.train import SearchConfig, TrainConfig, padded_size, perfect_networks, train_arch
from mips.task import define_task

TINY_DATA = DataConfig(train_sequences=512, heldout_sequences=256)


def _setup(name):
    task = tasks.get(name)
    data = make_task_data(task, TINY_DATA, seed=0)
    return task, data, choose_encoding(data.train, task.input_values)


@pytest.mark.parametrize("hidden, expected", [(1, 1), (2, 2), (3, 4), (4, 4), (5, 8), (8, 8), (9, 16)])
def test_padded_size_is_the_next_power_of_two(hidden, expected):
    assert padded_size(hidden) == expected


@pytest.mark.parametrize("hidden, expected", [(1, 8), (3, 8), (8, 8), (9, 16)])
def test_padded_size_is_at_least_the_floor(hidden, expected):
    assert padded_size(hidden, 8) == expected


@pytest.mark.parametrize("f_depth, g_depth, hidden", [(1, 1, 3), (2, 2, 3), (2, 1, 1), (1, 2, 4)])
def test_a_masked_padded_network_equals_its_shrunk_network(f_depth, g_depth, hidden):
    _, data, encoding = _setup("Sum_Last2")
    padded = Arch(4, f_depth, g_depth, 16)
    params = init_params(padded, encoding, key=jax.random.key(hidden))
    features = jnp.asarray(encoding.features(data.train.inputs[:64]))
    mask = jnp.asarray(hidden_mask(4, hidden))
    padded_hidden, padded_raw = forward(params, padded, encoding, features, mask)
    assert np.all(np.asarray(padded_hidden)[..., hidden:] == 0)

    small = shrink(jax.tree.map(np.asarray, params), padded, hidden, encoding)
    network = Network(replace(padded, hidden=hidden), encoding, small)
    small_hidden, small_raw = forward(small, network.arch, encoding, features)
    np.testing.assert_allclose(np.asarray(small_hidden), np.asarray(padded_hidden)[..., :hidden], atol=1e-5)
    np.testing.assert_allclose(np.asarray(small_raw), np.asarray(padded_raw), atol=1e-5)


def test_shrink_refuses_a_larger_size():
    _, _, encoding = _setup("Sum_Last2")
    params = jax.tree.map(np.asarray, init_params(Arch(2), encoding, key=jax.random.key(0)))
    with pytest.raises(ValueError):
        shrink(params, Arch(2), 3, encoding)


def test_masked_units_get_no_gradient():
    task, data, encoding = _setup("Sum_Last2")
    padded = Arch(4, 2, 2, 16)
    params = init_params(padded, encoding, key=jax.random.key(1))
    mask = jnp.asarray(hidden_mask(4, 2))
    x = jnp.asarray(encoding.features(data.train.inputs[:32]))
    y = jnp.asarray(data.train.outputs[:32])

    def objective(p):
        return loss(forward(p, padded, encoding, x, mask)[1], y, encoding)

    grads = jax.grad(objective)(params)
    last = grads["f"]["Dense_1"]
    assert np.all(np.asarray(last["kernel"])[:, 2:] == 0) and np.all(np.asarray(last["bias"])[2:] == 0)
    assert np.all(np.asarray(grads["f"]["Dense_0"]["kernel"])[2:4] == 0)  # rows fed by masked units
    assert np.all(np.asarray(grads["g"]["Dense_0"]["kernel"])[2:] == 0)
    assert np.any(np.asarray(grads["g"]["Dense_0"]["kernel"])[:2] != 0)


def test_training_stops_at_the_deadline_and_says_so():
    _, data, encoding = _setup("Sum_Last3")  # hidden size 1 cannot hold three inputs
    config = TrainConfig(seeds=2, max_steps=4000, eval_every=50, polish_steps=0)
    attempt, params = train_arch(Arch(1), encoding, data, config, key=jax.random.key(0), deadline=time.monotonic())
    assert attempt.out_of_time and not attempt.perfect
    assert attempt.steps == 50  # one chunk, then the deadline is seen
    assert params["f"]["Dense_0"]["kernel"].shape[1] == 1


def test_search_past_its_deadline_trains_nothing_and_reports_it():
    _, data, encoding = _setup("Sum_Last3")
    result = next(perfect_networks(encoding, data, SearchConfig(max_hidden=2), TrainConfig(seeds=2),
                                   key=jax.random.key(0), deadline=time.monotonic() - 1))
    assert result.network is None and result.out_of_time and result.attempts == ()


def test_search_after_an_architecture_skips_it_and_the_smaller_ones():
    _, data, encoding = _setup("Bitwise_Not")
    search = SearchConfig(max_hidden=2, depths=((1, 1), (2, 2)))
    candidates = search.candidates()
    config = TrainConfig(seeds=2, max_steps=100, eval_every=50, polish_steps=0)
    results = perfect_networks(encoding, data, search, config, key=jax.random.key(0), after=candidates[1])
    first = next(results)
    assert first.attempts[0].arch == candidates[2]


QUICK = PipelineConfig(
    data=TINY_DATA,
    train=TrainConfig(seeds=2, max_steps=600, polish_steps=100),
    search=SearchConfig(max_hidden=1, depths=((1, 1),)),
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
    edited = define_task(name=task.name, input_dim=1, length=task.length, input_values=task.input_values,
                         reference=lambda xs: list(xs), source=task.source)
    candidate = saved_search(tmp_path / "run", edited, QUICK)
    assert candidate is not None  # the folder's name, source and training agree...
    retrained = synthesize(edited, QUICK, reuse=candidate)
    assert not retrained.reused_network  # ...but the data does not
    assert retrained.data_fingerprint != first.data_fingerprint


def test_an_architecture_that_stops_improving_is_abandoned_early():
    _, data, encoding = _setup("Sum_Last3")  # hidden size 1 cannot hold three inputs
    config = TrainConfig(seeds=2, max_steps=4000, eval_every=50, patience=200, polish_steps=0)
    attempt, _ = train_arch(Arch(1), encoding, data, config, key=jax.random.key(0))
    assert attempt.plateau and not attempt.perfect and not attempt.out_of_time
    assert attempt.steps < 4000
    assert attempt.errors > 0


@pytest.mark.parametrize("f_depth, g_depth, hidden", [(1, 1, 1), (2, 2, 3), (2, 1, 5), (1, 2, 8)])
def test_pad_then_shrink_gives_back_the_same_parameters(f_depth, g_depth, hidden):
    from mips.model import pad

    _, _, encoding = _setup("Sum_Last2")
    small = Arch(hidden, f_depth, g_depth, 16)
    padded = Arch(8, f_depth, g_depth, 16)
    params = jax.tree.map(np.asarray, init_params(small, encoding, key=jax.random.key(hidden)))
    grown = pad(params, small, padded, encoding)
    back = shrink(jax.tree.map(np.asarray, grown), padded, hidden, encoding)
    for part in ("f", "g"):
        for layer, values in params[part].items():
            for name, value in values.items():
                np.testing.assert_array_equal(back[part][layer][name], value)
