import numpy as np
import pytest
import torch

from lamina.layers import Input
from lamina.layers.embedding import Embedding
from lamina.legacy import LegacyArgumentWarning
from lamina.layers.masking import Masking
from lamina.layers.recurrent import LSTM
from oracle import assert_matches_keras, check_layer_contract, keras, to_numpy

RNG = np.random.default_rng(0)
IDS = np.array([[0, 0, 3, 4, 5], [0, 1, 2, 3, 9], [5, 6, 7, 8, 1]])


def test_embedding_matches_keras():
    assert_matches_keras(Embedding(10, 4), keras().layers.Embedding(10, 4), IDS)
    assert_matches_keras(Embedding(10, 4), keras().layers.Embedding(10, 4), IDS.reshape(3, 5, 1))


def test_default_initializer_is_keras_uniform_and_weights_are_the_table():
    layer = Embedding(1000, 8)
    layer(torch.as_tensor(IDS))
    (table,) = layer.get_weights()
    assert table.shape == (1000, 8) and layer.embeddings.shape == (1000, 8)
    assert -0.05 <= table.min() < -0.04 and 0.04 < table.max() <= 0.05
    np.testing.assert_array_equal(to_numpy(layer(torch.as_tensor(IDS))), table[IDS])


def test_float_inputs_are_cast_to_indices():
    layer = Embedding(10, 3)
    assert torch.equal(layer(torch.as_tensor(IDS, dtype=torch.float32)), layer(torch.as_tensor(IDS)))


def test_mask_zero_gives_a_mask_and_a_following_lstm_matches_keras():
    embedding, lstm = Embedding(10, 4, mask_zero=True), LSTM(3, return_sequences=True)
    keras_embedding = keras().layers.Embedding(10, 4, mask_zero=True)
    keras_lstm = keras().layers.LSTM(3, return_sequences=True)
    embedded = embedding(torch.as_tensor(IDS))
    assert torch.equal(embedded._keras_mask, torch.as_tensor(IDS) != 0)
    lstm(embedded)
    keras_lstm(keras_embedding(IDS))
    keras_embedding.set_weights(embedding.get_weights())
    keras_lstm.set_weights(lstm.get_weights())
    output = lstm(embedding(torch.as_tensor(IDS)))
    np.testing.assert_allclose(to_numpy(output), to_numpy(keras_lstm(keras_embedding(IDS))), atol=1e-5)
    assert torch.equal(output._keras_mask, torch.as_tensor(IDS) != 0)
    assert Embedding(10, 4).compute_mask(torch.as_tensor(IDS)) is None


def test_out_of_range_index_names_input_dim_the_index_and_the_fix():
    layer = Embedding(9, 2, name="words")
    with pytest.raises(ValueError, match=r"Embedding 'words' received index 9, outside \[0, input_dim\) = \[0, 9\) "
                                         r"\(indices found: 0..9\). Set input_dim to at least 10"):
        layer(torch.as_tensor(IDS))
    with pytest.raises(ValueError, match=r"received index -1"):
        layer(torch.tensor([[1, -1]]))


def test_pretrained_weights_keras1_list_and_keras3_array():
    table = RNG.standard_normal((10, 3)).astype("float32")
    for weights in ([table], table):
        layer = Embedding(10, 3, weights=weights, trainable=False)
        np.testing.assert_array_equal(to_numpy(layer(torch.as_tensor(IDS))), table[IDS])
        assert layer.trainable_weights == []
    with pytest.raises(ValueError, match=r"weight 0 has shape \(10, 3\).*\(4, 3\)"):
        Embedding(10, 3, weights=[table[:4]])(torch.as_tensor(IDS))


def test_keras1_arguments():
    with pytest.warns(LegacyArgumentWarning) as record:
        layer = Embedding(10, 3, init="zeros", W_regularizer="l2", W_constraint="non_neg", dropout=0.2,
                          input_length=5)
    assert [str(w.message) for w in record] == [
        "Embedding: `init` is the Keras 1 name; use `embeddings_initializer`.",
        "Embedding: `W_regularizer` is the Keras 1 name; use `embeddings_regularizer`.",
        "Embedding: `W_constraint` is the Keras 1 name; use `embeddings_constraint`.",
        "Embedding: `dropout` is the Keras 1 name; it has no effect and is ignored.",
    ]
    assert layer._batch_input_shape == (None, 5)
    layer(torch.as_tensor(IDS))
    assert not layer.get_weights()[0].any() and len(layer.losses) == 1


def test_symbolic_float_input_gives_the_output_shape():
    assert Embedding(10, 4)(Input(shape=(7,))).shape == (None, 7, 4)


def test_masking_matches_keras_and_masks_padded_steps():
    x = RNG.standard_normal((3, 5, 4)).astype("float32")
    x[0, :2] = 0.0
    x[1, 4] = 1.5
    assert_matches_keras(Masking(), keras().layers.Masking(), x)
    assert_matches_keras(Masking(1.5), keras().layers.Masking(1.5), x)
    output = Masking()(torch.as_tensor(x))
    assert output._keras_mask.tolist() == [[False, False, True, True, True], [True] * 5, [True] * 5]
    padded = x.copy()
    padded[1, 4, 0] = 0.0  # one zero feature does not mask a step
    assert Masking()(torch.as_tensor(padded))._keras_mask[1].all()


@pytest.mark.parametrize("make_layer, inputs", [
    (lambda: Embedding(10, 3, mask_zero=True, embeddings_regularizer="l2"), IDS),
    (lambda: Masking(0.0), RNG.standard_normal((2, 4, 3)).astype("float32")),
], ids=["embedding", "masking"])
def test_contract(make_layer, inputs):
    check_layer_contract(make_layer, inputs)
