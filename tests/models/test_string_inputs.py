"""Models whose Input takes raw strings (Input(dtype='string') -> TextVectorization -> ...): the same outputs and
training as the layers on token ids, saved models that predict from strings after load, and clear errors."""
import numpy as np
import pytest
import torch

import lamina
from lamina.layers import Dense, Embedding, GlobalAveragePooling1D, Input, TextVectorization
from lamina.models import Model, Sequential, load_model

TEXTS = ["good great fine", "bad awful poor", "great good film", "poor bad plot", "fine good", "awful bad"] * 5
LABELS = np.array([1, 0, 1, 0, 1, 0] * 5)


def vectorizer():
    vectorize = TextVectorization(max_tokens=30, output_sequence_length=4)
    vectorize.adapt(TEXTS)
    return vectorize


def string_model(vectorize, shape=(1,)):
    lamina.utils.set_random_seed(3)
    texts = Input(shape=shape, dtype="string", name="text")
    outputs = Dense(2, activation="softmax")(GlobalAveragePooling1D()(Embedding(30, 8)(vectorize(texts))))
    return Model(texts, outputs)


def id_model_sharing_layers(model):
    ids = Input(shape=(4,), dtype="int64")
    outputs = ids
    for layer in model.layers[2:]:
        outputs = layer(outputs)
    return Model(ids, outputs)


def test_a_string_model_equals_its_layers_on_token_ids():
    vectorize = vectorizer()
    model = string_model(vectorize)
    assert model.inputs[0].dtype == "string" and model.layers[1].output.shape == (None, 4)
    expected = id_model_sharing_layers(model).predict(vectorize(TEXTS[:6]))
    for batch in (TEXTS[:6], np.array(TEXTS[:6]), np.array(TEXTS[:6], dtype=object)[:, None]):
        np.testing.assert_array_equal(model.predict(batch), expected)
    np.testing.assert_array_equal(model(TEXTS[:6]).detach().numpy(), expected)


def test_fit_on_strings_trains_as_fit_on_token_ids():
    vectorize = vectorizer()
    on_strings, on_ids = string_model(vectorize), id_model_sharing_layers(string_model(vectorize))
    for model in (on_strings, on_ids):
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    strings_history = on_strings.fit(TEXTS, LABELS, epochs=3, batch_size=8, shuffle=False, verbose=0,
                                     validation_split=0.2)
    ids_history = on_ids.fit(vectorize(TEXTS), LABELS, epochs=3, batch_size=8, shuffle=False, verbose=0,
                             validation_split=0.2)
    for ours, theirs in zip(on_strings.get_weights(), on_ids.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
    assert strings_history.history["val_loss"] == pytest.approx(ids_history.history["val_loss"], rel=1e-6)
    on_strings.fit(TEXTS, LABELS, epochs=2, batch_size=8, verbose=0)  # shuffled batches of strings
    assert on_strings.evaluate(np.array(TEXTS), LABELS, verbose=0)[1] > 0.5
    assert on_strings.train_on_batch(TEXTS[:8], LABELS[:8])[0] > 0


@pytest.mark.parametrize("shape", [(1,), ()])
def test_a_saved_model_predicts_from_raw_strings_after_load(tmp_path, shape):
    vectorize = vectorizer()
    functional = string_model(vectorize, shape)
    stacked = Sequential([Input(shape=shape, dtype="string"), vectorize, Embedding(30, 8), GlobalAveragePooling1D(),
                          Dense(2, activation="softmax")])
    for name, model in (("functional", functional), ("sequential", stacked)):
        path = tmp_path / f"{name}.lamina"
        model.save(path)
        loaded = load_model(path)
        assert loaded.layers[1 if name == "functional" else 0].get_vocabulary() == vectorize.get_vocabulary()
        np.testing.assert_array_equal(loaded.predict(["great good", "an unseen word"]),
                                      model.predict(["great good", "an unseen word"]))


def test_string_inputs_follow_the_model_to_its_device():
    model = string_model(vectorizer())
    model.to(torch.float64)  # moves parameters and buffers alike; ids stay int64
    marker = model.layers[1].device_marker
    assert marker.dtype == torch.float64 and "device_marker" not in model.state_dict()
    assert model.layers[1].get_weights() == []


def test_string_input_errors_name_the_problem():
    vectorize = vectorizer()
    model = string_model(vectorize)
    with pytest.raises(TypeError, match=r"Layer 'dense_on_text' \(Dense\) cannot take strings: a string Input must "
                                        r"go through a layer that reads text first, e.g. TextVectorization"):
        Dense(2, name="dense_on_text")(Input(shape=(1,), dtype="string"))
    with pytest.raises(TypeError, match=r"Input 'text' of model '.*' takes strings: a list or numpy array of str, "
                                        r"shape \(N,\) or \(N, 1\); received a tensor of shape \(2, 3\) and dtype "
                                        r"torch.float32"):
        model.predict(np.zeros((2, 3), "float32"))
    with pytest.raises(TypeError, match=r"received an array of shape \(1, 2\) and dtype <U1"):
        model.predict(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match=r"`x` is one string \('good film'\); pass a list of strings, e.g. \[text\]"):
        model.predict("good film")
    with pytest.raises(ValueError, match=r"unknown dtype 'text'. Use 'float32', 'int32', 'int64', ... or 'string'"):
        Input(shape=(1,), dtype="text")
