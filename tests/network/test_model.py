"""The network on its own: runs of any number of sequences give each sequence's own result."""

import numpy as np
from test_simplify import delay_line

from mips.network import model


def test_a_run_gives_each_sequence_the_same_result_whatever_else_runs_beside_it():
    network = delay_line()
    inputs = np.random.default_rng(0).integers(0, 10, size=(37, 6, 1))
    hidden, outputs = network.run(inputs)
    assert hidden.shape == (37, 6, 2) and outputs.shape == (37, 6, 1)
    for count in (1, 5, 16, 17):
        part_hidden, part_outputs = network.run(inputs[:count])
        assert np.array_equal(part_outputs, outputs[:count])
        assert np.allclose(part_hidden, hidden[:count])
    assert np.array_equal(outputs[:, 1:, 0], inputs[:, :-1, 0])  # the delay line's previous input
    start = np.full((3, 2), 0.5)
    started = network.run(inputs[:3], initial=start)
    assert started[0].shape == (3, 6, 2) and not np.allclose(started[0], hidden[:3])
    assert np.array_equal(network.readout(hidden[:, 2]), outputs[:, 2])
    assert network.readout(hidden[:3, 2]).shape == (3, 1)


def test_counts_of_sequences_share_compilations():
    network = delay_line(extra_unit=True)  # an architecture no other test here compiles
    inputs = np.random.default_rng(1).integers(0, 10, size=(40, 5, 1))
    before = model._run_jit._cache_size()
    for count in range(17, 33):  # all padded to 32
        network.run(inputs[:count])
    assert model._run_jit._cache_size() == before + 1


def test_a_regression_output_pulls_as_hard_when_far_off_as_when_one_unit_off():
    import jax
    import jax.numpy as jnp

    encoding = model.Encoding(
        input_dim=1,
        input_values=tuple(range(100)),
        input_scale=99.0,
        one_hot=False,
        heads=(model.Head("regression", scale=99.0),),
    )
    targets = jnp.array([[[50]]])

    def pull(off_by: float) -> float:
        raw = jnp.array([[[(50 + off_by) / 99.0]]])
        return float(jax.grad(lambda r: model.loss(r, targets, encoding))(raw)[0, 0, 0])

    assert abs(pull(0)) < 1e-3 * pull(1.0)  # float32 rounding of 50 / 99 * 99
    assert 0 < pull(0.5) < pull(1.0)  # squared near the target: the pull shrinks as it closes
    assert np.isclose(pull(1.5), pull(40)) and np.isclose(pull(40), -pull(-40))  # never fades
    assert np.isclose(float(model.loss(jnp.array([[[60 / 99.0]]]), targets, encoding)), 10 - 0.5)


def test_what_extraction_reads_is_multiplied_out_in_full_float32():
    """On a GPU JAX's default float32 matmul may be TensorFloat32; the runs extraction reads
    ask for the highest precision in every product (the training keeps the default)."""
    import jax

    network = delay_line()
    features = jax.ShapeDtypeStruct((16, 3, network.encoding.feature_size), np.float32)
    hidden = jax.ShapeDtypeStruct((16, network.arch.hidden), np.float32)
    for jaxpr in (
        jax.make_jaxpr(lambda f: model._run_jit(network.params, network.arch, network.encoding, f, None))(features),
        jax.make_jaxpr(lambda h: model._readout_jit(network.params, network.arch, network.encoding, h))(hidden),
    ):
        text = str(jaxpr)
        products = text.count("dot_general[")
        assert products >= 1 and text.count("precision=(Precision.HIGHEST, Precision.HIGHEST)") == products, text
