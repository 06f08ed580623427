import numpy as np
import pytest
import torch

from lamina.layers import Dense, Input
from lamina.layers import recurrent
from lamina.layers.embedding import Embedding
from lamina.legacy import LegacyArgumentWarning
from lamina.layers.masking import Masking
from lamina.layers.recurrent import GRU, LSTM, SimpleRNN
from lamina.layers.wrappers import Bidirectional, TimeDistributed
from oracle import assert_matches_keras, check_layer_contract, keras, to_numpy

RNG = np.random.default_rng(0)
LAYERS = {  # name -> (lamina class, Keras class name, extra arguments for both)
    "simple_rnn": (SimpleRNN, "SimpleRNN", {}),
    "gru": (GRU, "GRU", {}),
    "gru_reset_before": (GRU, "GRU", {"reset_after": False}),
    "lstm": (LSTM, "LSTM", {}),
}
OPTIONS = {
    "last": {},
    "sequences": {"return_sequences": True},
    "backwards": {"go_backwards": True, "return_sequences": True},
    "state": {"return_state": True},
    "backwards_state": {"go_backwards": True, "return_state": True},
}
# Word ids with 0 as padding: left-padded (Keras's pad_sequences default), right-padded, and with holes and an
# all-padding row (these two need the step loop).
PADDED = {
    "left": [[0, 0, 3, 4, 5], [0, 1, 2, 3, 4], [0, 0, 0, 0, 7]],
    "right": [[3, 4, 5, 0, 0], [1, 2, 3, 4, 6], [7, 0, 0, 0, 0]],
    "holes": [[3, 0, 5, 0, 2], [1, 2, 3, 4, 6], [0, 0, 0, 0, 0]],
}


def data(*shape):
    return RNG.standard_normal(shape).astype("float32")


def pair(name, units=3, **options):
    lamina_class, keras_name, extra = LAYERS[name]
    return lamina_class(units, **extra, **options), getattr(keras().layers, keras_name)(units, **extra, **options)


@pytest.fixture
def paths(monkeypatch):
    """Names of the scans run ('_fused_scan' or '_loop_scan'), in order."""
    calls = []
    for name in ("_fused_scan", "_loop_scan"):
        original = getattr(recurrent, name)

        def spy(*args, _original=original, _name=name):
            calls.append(_name)
            return _original(*args)

        monkeypatch.setattr(recurrent, name, spy)
    return calls


def as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def keras1_gru(x, kernel, recurrent_kernel, bias):
    """Keras 1's GRU step (reset gate before the recurrent product), gates (z, r, h), in numpy."""
    units = recurrent_kernel.shape[0]
    h = np.zeros((x.shape[0], units), dtype=np.float64)
    for x_t in x.transpose(1, 0, 2):
        projected = x_t @ kernel + bias
        z = hard_sigmoid(projected[:, :units] + h @ recurrent_kernel[:, :units])
        r = hard_sigmoid(projected[:, units:2 * units] + h @ recurrent_kernel[:, units:2 * units])
        candidate = np.tanh(projected[:, 2 * units:] + (r * h) @ recurrent_kernel[:, 2 * units:])
        h = z * h + (1 - z) * candidate
    return h


def keras1_lstm(x, kernel, recurrent_kernel, bias):
    """Keras 1's LSTM step, gates (i, f, c, o), in numpy."""
    units = recurrent_kernel.shape[0]
    h = c = np.zeros((x.shape[0], units), dtype=np.float64)
    for x_t in x.transpose(1, 0, 2):
        gates = x_t @ kernel + h @ recurrent_kernel + bias
        i, f, g, o = (gates[:, k * units:(k + 1) * units] for k in range(4))
        c = hard_sigmoid(f) * c + hard_sigmoid(i) * np.tanh(g)
        h = hard_sigmoid(o) * np.tanh(c)
    return h


# ---------------------------------------------------------------- numerics against Keras 3
@pytest.mark.parametrize("use_cudnn", ["auto", False])
@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize("name", LAYERS)
def test_matches_keras(name, option, use_cudnn):
    layer, keras_layer = pair(name, **OPTIONS[option])
    layer.use_cudnn = use_cudnn
    assert_matches_keras(layer, keras_layer, data(3, 5, 4))


@pytest.mark.parametrize("name", ["gru", "lstm"])
def test_keras3_hard_sigmoid_and_relu_match_keras(name):
    layer, keras_layer = pair(name, activation="relu", recurrent_activation="hard_sigmoid", return_sequences=True)
    assert_matches_keras(layer, keras_layer, data(3, 5, 4))


def test_simple_rnn_without_bias_and_relu_matches_keras(paths):
    assert_matches_keras(*pair("simple_rnn", activation="relu", use_bias=False), data(3, 5, 4))
    assert paths == ["_fused_scan", "_fused_scan"]


@pytest.mark.parametrize("name", LAYERS)
def test_initial_state_matches_keras(name):
    layer, keras_layer = pair(name, units=3, return_sequences=True)
    states = [data(2, 3) for _ in range(2 if name == "lstm" else 1)]
    assert_matches_keras(layer, keras_layer, data(2, 5, 4), call_kwargs={"initial_state": states})


def test_dropout_rate_zero_in_training_matches_keras():
    layer, keras_layer = pair("lstm", dropout=0.0, recurrent_dropout=0.0, return_sequences=True)
    assert_matches_keras(layer, keras_layer, data(3, 5, 4), training=True)


# ---------------------------------------------------------------- masks
@pytest.mark.parametrize("option", ["last", "backwards", "backwards_state"])
@pytest.mark.parametrize("padding", PADDED)
@pytest.mark.parametrize("name", LAYERS)
def test_embedding_mask_matches_keras(name, padding, option):
    ids = np.array(PADDED[padding])
    layer, keras_layer = pair(name, **OPTIONS[option])
    embedding, keras_embedding = Embedding(8, 4, mask_zero=True), keras().layers.Embedding(8, 4, mask_zero=True)
    layer(embedding(torch.as_tensor(ids)))
    keras_layer(keras_embedding(ids))
    keras_embedding.set_weights(embedding.get_weights())
    keras_layer.set_weights(layer.get_weights())
    actual = layer(embedding(torch.as_tensor(ids)))
    expected = keras_layer(keras_embedding(ids))
    for a, e in zip(as_list(actual), as_list(expected), strict=True):
        np.testing.assert_allclose(to_numpy(a), to_numpy(e), atol=1e-5, rtol=1e-5)


def test_masked_steps_repeat_the_previous_output_and_keep_the_state():
    layer = GRU(3, return_sequences=True, return_state=True)
    x = torch.as_tensor(data(2, 5, 4))
    mask = torch.tensor([[False, False, True, True, False], [True, True, True, True, True]])
    outputs, state = layer(x, mask=mask)
    assert torch.equal(outputs[0, :2], torch.zeros(2, 3))  # before the first step: zeros
    assert torch.equal(outputs[0, 4], outputs[0, 3]) and torch.equal(state[0], outputs[0, 3])
    assert torch.equal(layer(x, mask=mask)[0]._keras_mask, mask)


def test_masking_layer_then_lstm_matches_keras():
    x = data(3, 5, 4)
    x[0, :2] = 0.0
    x[2, 3:] = 0.0
    masking, layer = Masking(), LSTM(3, return_sequences=True)
    keras_masking, keras_layer = keras().layers.Masking(), keras().layers.LSTM(3, return_sequences=True)
    layer(masking(torch.as_tensor(x)))
    keras_layer(keras_masking(x))
    keras_layer.set_weights(layer.get_weights())
    np.testing.assert_allclose(to_numpy(layer(masking(torch.as_tensor(x)))), to_numpy(keras_layer(keras_masking(x))),
                               atol=1e-5)


# ---------------------------------------------------------------- which implementation runs
def test_fused_kernel_runs_when_allowed_and_loop_otherwise(paths):
    x = torch.as_tensor(data(3, 5, 4))
    left = torch.as_tensor(PADDED["left"]) != 0
    holes = torch.as_tensor(PADDED["holes"]) != 0
    LSTM(3)(x)
    LSTM(3)(x, mask=left)
    GRU(3)(x, mask=left.flip(1))
    SimpleRNN(3, dropout=0.5)(x, training=True)
    assert paths == ["_fused_scan"] * 4
    paths.clear()
    LSTM(3)(x, mask=holes)
    LSTM(3, recurrent_activation="legacy_hard_sigmoid")(x)
    GRU(3, reset_after=False)(x)
    LSTM(3, recurrent_dropout=0.5)(x, training=True)
    LSTM(3, use_cudnn=False)(x)
    assert paths == ["_loop_scan"] * 5
    paths.clear()
    LSTM(3, recurrent_dropout=0.5)(x, training=False)
    assert paths == ["_fused_scan"]


def test_use_cudnn_true_raises_when_the_fused_kernel_cannot_run():
    with pytest.raises(ValueError, match=r"LSTM 'lstm' was created with use_cudnn=True.*use_cudnn='auto'"):
        LSTM(3, recurrent_activation="hard_sigmoid", use_cudnn=True, name="lstm")(torch.zeros(2, 3, 4))


@pytest.mark.parametrize("use_cudnn", ["auto", False])
def test_lstm_outputs_and_gradients_match_torch_lstm(use_cudnn):
    layer = LSTM(5, return_sequences=True, use_cudnn=use_cudnn)
    reference = torch.nn.LSTM(4, 5, batch_first=True)
    x = torch.as_tensor(data(3, 6, 4))
    layer(x)
    with torch.no_grad():
        reference.weight_ih_l0.copy_(layer.kernel)
        reference.weight_hh_l0.copy_(layer.recurrent_kernel)
        reference.bias_ih_l0.copy_(layer.bias)
        reference.bias_hh_l0.zero_()
    weights = torch.as_tensor(data(3, 6, 5))
    inputs = [x.clone().requires_grad_(), x.clone().requires_grad_()]
    (layer(inputs[0]) * weights).sum().backward()
    (reference(inputs[1])[0] * weights).sum().backward()
    pairs = [(inputs[0].grad, inputs[1].grad), (layer.kernel.grad, reference.weight_ih_l0.grad),
             (layer.recurrent_kernel.grad, reference.weight_hh_l0.grad), (layer.bias.grad, reference.bias_ih_l0.grad)]
    for actual, expected in pairs:
        torch.testing.assert_close(actual, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("padding", ["left", "right"])
def test_packed_fused_path_gradients_equal_the_loop(padding, paths):
    mask = torch.as_tensor(PADDED[padding]) != 0
    fused = LSTM(3, return_sequences=True, return_state=True)
    x = torch.as_tensor(data(3, 5, 4))
    fused(x)
    loop = LSTM(3, return_sequences=True, return_state=True, use_cudnn=False)
    loop(x)
    loop.set_weights(fused.get_weights())
    results = []
    for layer in (fused, loop):
        inputs = x.clone().requires_grad_()
        outputs = layer(inputs, mask=mask)
        sum(output.square().sum() for output in outputs).backward()
        results.append([*outputs, inputs.grad, layer.kernel.grad, layer.recurrent_kernel.grad, layer.bias.grad])
    assert paths == ["_fused_scan", "_loop_scan"] * 2
    for actual, expected in zip(*results):
        torch.testing.assert_close(actual, expected, atol=1e-5, rtol=1e-5)


def test_weights_given_to_cudnn_are_one_chunk_in_torch_order_and_pass_gradients():
    layer = LSTM(3)
    layer(torch.zeros(1, 2, 4))
    weights = layer._fused_weights()
    chunk = recurrent._single_chunk(weights)
    sizes = [w.numel() * w.element_size() for w in weights]
    assert [c.data_ptr() - chunk[0].data_ptr() for c in chunk] == [sum(sizes[:i]) for i in range(4)]
    assert all(torch.equal(c, w) for c, w in zip(chunk, weights))
    sum(c.sum() for c in chunk).backward()
    assert torch.equal(layer.kernel.grad, torch.ones_like(layer.kernel))


# ---------------------------------------------------------------- Keras 1
def test_keras1_gru_with_hard_sigmoid_matches_keras1_step():
    with pytest.warns(LegacyArgumentWarning) as record:
        layer = GRU(output_dim=4, inner_activation="hard_sigmoid", reset_after=False)
    assert "GRU: `inner_activation` is the Keras 1 name; use `recurrent_activation`." in [
        str(w.message) for w in record]
    x = data(3, 6, 5)
    output = layer(torch.as_tensor(x))
    np.testing.assert_allclose(to_numpy(output), keras1_gru(x, *layer.get_weights()), atol=1e-5)


def test_keras1_lstm_with_hard_sigmoid_matches_keras1_step():
    with pytest.warns(LegacyArgumentWarning):
        layer = LSTM(output_dim=4, inner_activation="hard_sigmoid", forget_bias_init="one", init="glorot_uniform",
                     inner_init="orthogonal", dropout_W=0.0, dropout_U=0.0, consume_less="gpu")
    x = data(3, 6, 5)
    output = layer(torch.as_tensor(x))
    np.testing.assert_allclose(to_numpy(output), keras1_lstm(x, *layer.get_weights()), atol=1e-5)


def test_keras1_input_dim_and_input_length_give_the_input_shape():
    with pytest.warns(LegacyArgumentWarning, match="`output_dim` is the Keras 1 name; use `units`"):
        layer = SimpleRNN(output_dim=3, input_dim=4, input_length=7)
    assert layer.units == 3 and layer._batch_input_shape == (None, 7, 4)


# ---------------------------------------------------------------- weights, state, shapes, contract
def test_weights_use_keras_layouts_and_torch_storage():
    gru = GRU(3)
    gru(torch.zeros(1, 2, 4))
    kernel, recurrent_kernel, bias = gru.get_weights()
    assert (kernel.shape, recurrent_kernel.shape, bias.shape) == ((4, 9), (3, 9), (2, 9))
    assert gru.kernel.shape == (9, 4) and gru.bias.shape == (2, 9)
    # Keras's gates are (z, r, h), torch's (r, z, n).
    np.testing.assert_array_equal(to_numpy(gru.kernel[:3]), kernel[:, 3:6].T)
    np.testing.assert_array_equal(to_numpy(gru.bias[1, 3:6]), bias[1, :3])
    reset_before = GRU(3, reset_after=False)
    reset_before(torch.zeros(1, 2, 4))
    assert reset_before.get_weights()[2].shape == (9,)
    lstm = LSTM(2)
    lstm(torch.zeros(1, 2, 4))
    assert [w.shape for w in lstm.get_weights()] == [(4, 8), (2, 8), (8,)]
    np.testing.assert_array_equal(lstm.get_weights()[2], [0, 0, 1, 1, 0, 0, 0, 0])  # unit_forget_bias


def test_stateful_layer_carries_states_between_calls():
    x = torch.as_tensor(data(2, 6, 4))
    layer = LSTM(3, stateful=True)
    first = layer(x[:, :3])
    continued = layer(x[:, 3:])
    whole = LSTM(3)
    whole(x)
    whole.set_weights(layer.get_weights())
    torch.testing.assert_close(continued, whole(x))
    layer.reset_states()
    torch.testing.assert_close(layer(x[:, :3]), first)
    with pytest.raises(ValueError, match=r"stateful and holds states for batches of 2, but received a batch of 1"):
        layer(x[:1])


def test_symbolic_shapes():
    inputs = Input(shape=(None, 4))
    assert GRU(3, return_sequences=True)(inputs).shape == (None, None, 3)
    output, h, c = LSTM(5, return_state=True)(inputs)
    assert (output.shape, h.shape, c.shape) == ((None, 5), (None, 5), (None, 5))
    assert Bidirectional(LSTM(5))(inputs).shape == (None, 10)
    assert TimeDistributed(Dense(2))(Input(shape=(7, 4))).shape == (None, 7, 2)


def test_input_and_argument_errors_name_the_layer_and_the_fix():
    with pytest.raises(ValueError, match=r"layer 'rnn'.*expected ndim=3, found ndim=2.*Embedding"):
        SimpleRNN(3, name="rnn")(torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"LSTM 'lstm' takes 2 initial state\(s\) \['h', 'c'\].*received 1"):
        LSTM(3, name="lstm")(torch.zeros(2, 5, 4), initial_state=[torch.zeros(2, 3)])
    with pytest.raises(ValueError, match=r"GRU: `dropout` must be a number in \[0, 1\), received 1.5"):
        GRU(3, dropout=1.5)
    with pytest.raises(TypeError, match=r"Bidirectional: `layer` must be a recurrent layer.*Dense"):
        Bidirectional(Dense(3))
    with pytest.raises(ValueError, match=r"`merge_mode` must be one of"):
        Bidirectional(LSTM(3), merge_mode="max")


def test_dropout_uses_one_mask_per_sequence():
    # Identity kernel, no recurrence, bias or activation: each step outputs its dropped input of ones, the mask
    # itself, exactly (every sum holds one nonzero product, 1 / (1 - 0.5) = 2), so the steps compare bitwise on any
    # CPU. A general kernel would not: steps are rows of one matrix product, rounded differently per SIMD lane.
    layer = SimpleRNN(5, activation=None, kernel_initializer="identity", recurrent_initializer="zeros",
                      use_bias=False, dropout=0.5, return_sequences=True)
    outputs = layer(torch.ones(8, 6, 5), training=True)
    assert set(outputs.unique().tolist()) == {0.0, 2.0}
    assert torch.equal(outputs, outputs[:, :1].expand_as(outputs))
    assert not torch.equal(outputs, layer(torch.ones(8, 6, 5), training=False))
    recurrent_dropout = LSTM(3, recurrent_dropout=0.5, return_sequences=True)
    x = torch.as_tensor(data(4, 5, 3))
    assert not torch.equal(recurrent_dropout(x, training=True), recurrent_dropout(x, training=False))


@pytest.mark.parametrize("make_layer", [
    lambda: SimpleRNN(3, return_sequences=True),
    lambda: GRU(3, return_state=True, kernel_regularizer="l2"),
    lambda: GRU(3, reset_after=False, go_backwards=True),
    lambda: LSTM(3, dropout=0.2, recurrent_dropout=0.2),
    lambda: Bidirectional(LSTM(3, return_sequences=True), merge_mode="sum"),
    lambda: TimeDistributed(Dense(2)),
], ids=["simple_rnn", "gru", "gru_reset_before", "lstm", "bidirectional", "time_distributed"])
def test_contract(make_layer):
    check_layer_contract(make_layer, data(3, 5, 4))


# ---------------------------------------------------------------- wrappers
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("option", ["last", "sequences", "state"])
def test_bidirectional_matches_keras(merge_mode, option):
    layer, keras_layer = pair("lstm", **OPTIONS[option])
    assert_matches_keras(Bidirectional(layer, merge_mode=merge_mode),
                         keras().layers.Bidirectional(keras_layer, merge_mode=merge_mode), data(3, 5, 4))


@pytest.mark.parametrize("name", ["simple_rnn", "gru"])
def test_bidirectional_with_left_padded_mask_matches_keras(name):
    ids = np.array(PADDED["left"])
    layer, keras_layer = pair(name, return_sequences=True)
    bidirectional, keras_bidirectional = Bidirectional(layer), keras().layers.Bidirectional(keras_layer)
    embedding, keras_embedding = Embedding(8, 4, mask_zero=True), keras().layers.Embedding(8, 4, mask_zero=True)
    bidirectional(embedding(torch.as_tensor(ids)))
    keras_bidirectional(keras_embedding(ids))
    keras_embedding.set_weights(embedding.get_weights())
    keras_bidirectional.set_weights(bidirectional.get_weights())
    output = bidirectional(embedding(torch.as_tensor(ids)))
    np.testing.assert_allclose(to_numpy(output), to_numpy(keras_bidirectional(keras_embedding(ids))), atol=1e-5)
    assert torch.equal(output._keras_mask, torch.as_tensor(ids) != 0)


def test_bidirectional_weights_are_forward_then_backward():
    layer = Bidirectional(GRU(2, name="gru"))
    layer(torch.zeros(1, 3, 4))
    assert (layer.forward_layer.name, layer.backward_layer.name) == ("forward_gru", "backward_gru")
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    weights = layer.get_weights()
    assert len(weights) == 6
    for a, b in zip(weights, layer.forward_layer.get_weights() + layer.backward_layer.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_time_distributed_dense_matches_keras_and_keeps_the_mask():
    assert_matches_keras(TimeDistributed(Dense(3, activation="relu")),
                         keras().layers.TimeDistributed(keras().layers.Dense(3, activation="relu")), data(2, 5, 4))
    mask = torch.tensor([[True, False, True]])
    assert torch.equal(TimeDistributed(Dense(2))(torch.zeros(1, 3, 4), mask=mask)._keras_mask, mask)
