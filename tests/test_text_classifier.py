"""lamina.text.TextClassifier: from a TSV file, lists or a folder to a classifier of raw strings that reaches high
held-out accuracy on planted phrases, saves and loads with its vocabulary and classes, explains its predictions,
keeps static vectors fixed, and names bad input; Kim's multichannel CNN computes what its definition says."""
import numpy as np
import pytest
import torch

from lamina.datasets import reviews
from lamina.layers import Embedding
from lamina.models import Sequential
from lamina.text import Prediction, TextClassifier, load_model, text_cnn
from lamina.text.classifier import folder_texts
from lamina.utils import set_random_seed
from lamina.word2vec import KeyedVectors

PLANTED_WORDS = {word for phrases in reviews.PLANTED.values() for phrase in phrases for word in phrase.split()}


@pytest.fixture(scope="module")
def held_out():
    texts, labels = reviews.load_data(300, 1)
    return texts, [reviews.CLASSES[label] for label in labels]


@pytest.fixture(scope="module")
def trained_cnn(tmp_path_factory):
    path = reviews.write_tsv(tmp_path_factory.mktemp("reviews") / "reviews.tsv", 1000)
    set_random_seed(0)
    classifier = TextClassifier("cnn")
    history = classifier.fit(path, epochs=4, verbose=0)
    return classifier, history


def test_a_cnn_from_a_tsv_file_reaches_high_held_out_accuracy(trained_cnn, held_out):
    classifier, history = trained_cnn
    assert classifier.class_names == ["negative", "positive"]
    assert history.history["val_accuracy"][-1] >= 0.95  # the 10% of each class fit held out
    assert classifier.model.inputs[0].dtype == "string"
    assert classifier.vectorize.output_sequence_length == 22  # the longest training text: 19 words + a 3-word phrase
    result = classifier.evaluate(*held_out)
    assert result["accuracy"] >= 0.95 and result["probabilities"].shape == (300, 2)
    assert result["report"].support.tolist() == [held_out[1].count("negative"), held_out[1].count("positive")]
    predictions = classifier.predict(["word1 word2 truly wonderful word3", "word4 hated it"])
    assert [prediction.label for prediction in predictions] == ["positive", "negative"]
    assert isinstance(predictions[0], Prediction) and predictions[0].probability > 0.5


def test_a_saved_classifier_predicts_raw_strings_after_load(trained_cnn, held_out, tmp_path):
    classifier, _ = trained_cnn
    classifier.save(tmp_path / "reviews.lamina")
    loaded = load_model(tmp_path / "reviews.lamina")
    assert loaded.class_names == classifier.class_names and loaded.architecture == "cnn"
    np.testing.assert_array_equal(loaded.predict_proba(held_out[0]), classifier.predict_proba(held_out[0]))
    assert loaded.predict(["a delight word7"]) == classifier.predict(["a delight word7"])


def test_explain_ranks_a_planted_word_first(trained_cnn, held_out):
    classifier, _ = trained_cnn
    for text, label in list(zip(*held_out))[:10]:
        explained = classifier.explain(text, target=classifier.class_names.index(label))
        assert explained.tokens[int(np.argmax(explained.importances))] in PLANTED_WORDS, text


@pytest.mark.parametrize("architecture, epochs", [("rnn", 4), ("fasttext", 5)])
def test_the_rnn_and_fasttext_learn_from_lists(architecture, epochs, held_out):
    texts, labels = reviews.load_data(1000, 0)
    set_random_seed(0)
    classifier = TextClassifier(architecture)
    classifier.fit(texts, labels, epochs=epochs, verbose=0)
    assert classifier.class_names == ["0", "1"]
    assert classifier.vectorize.ngrams == (2 if architecture == "fasttext" else None)
    truth = [str(reviews.CLASSES.index(label)) for label in held_out[1]]
    assert classifier.evaluate(held_out[0], truth)["accuracy"] >= 0.95


def test_a_folder_of_class_folders_is_read_like_text_dataset_from_directory(tmp_path):
    texts, labels = reviews.load_data(60, 2)
    for index, (text, label) in enumerate(zip(texts, labels)):
        folder = tmp_path / "data" / reviews.CLASSES[label]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{index:03d}.txt").write_text(text)
    read_texts, read_labels = folder_texts(tmp_path / "data")
    assert sorted(zip(read_texts, read_labels)) == sorted((text, reviews.CLASSES[label])
                                                          for text, label in zip(texts, labels))
    classifier = TextClassifier("fasttext")
    history = classifier.fit(tmp_path / "data", epochs=1, validation_split=0.2, verbose=0)
    assert classifier.class_names == ["negative", "positive"] and len(history.history["val_accuracy"]) == 1


def keyed_vectors(classifier_texts):
    words = sorted({word for text in classifier_texts for word in text.split()})
    keyed = KeyedVectors(16)
    keyed.add_vectors(words[::2], np.random.default_rng(0).normal(0, 0.3, (len(words[::2]), 16)).astype(np.float32))
    return keyed


@pytest.mark.parametrize("mode", ["static", "non-static", "multichannel"])
def test_pretrained_vectors_stay_fixed_when_static(mode):
    texts, labels = reviews.load_data(200, 3)
    vectors = keyed_vectors(texts)
    classifier = TextClassifier("cnn", vectors=vectors, vectors_mode=mode, filters=8)
    classifier.fit(texts, labels, epochs=1, verbose=0)
    vocabulary = classifier.vectorize.get_vocabulary()
    known = [index for index, word in enumerate(vocabulary) if word in vectors]
    expected = np.stack([vectors[vocabulary[index]] for index in known])
    static = classifier.classifier.get_layer("embedding").get_weights()[0][known]
    assert classifier.coverage.found == len(known)
    if mode == "non-static":
        assert np.abs(static - expected).max() > 1e-4  # trained
    else:
        np.testing.assert_array_equal(static, expected)
    if mode == "multichannel":
        trained = classifier.classifier.get_layer("trained_embedding").get_weights()[0][known]
        assert np.abs(trained - expected).max() > 1e-4


def test_the_multichannel_cnn_adds_each_filter_over_both_channels():
    set_random_seed(1)
    weights = np.random.default_rng(1).normal(size=(50, 6)).astype(np.float32)
    channels = [Embedding(50, 6, weights=[weights], name=name) for name in ("static", "trained")]
    two_channels = text_cnn(50, 3, 12, filters=4, embedding=channels, dropout=0.0)
    one_channel = text_cnn(50, 3, 12, embedding_dim=6, filters=4, dropout=0.0)
    one_channel.get_layer("embedding").set_weights([weights])
    for width in (3, 4, 5):
        kernel, bias = two_channels.get_layer(f"conv_{width}").get_weights()
        one_channel.get_layer(f"conv_{width}").set_weights([2 * kernel, 2 * bias])  # relu(Wx + b + Wx + b)
    one_channel.get_layer("predictions").set_weights(two_channels.get_layer("predictions").get_weights())
    ids = torch.randint(1, 50, (5, 12))
    np.testing.assert_allclose(two_channels.predict(ids), one_channel.predict(ids), rtol=1e-5, atol=1e-6)


def test_bad_input_is_named(tmp_path, held_out):
    classifier = TextClassifier("cnn")
    with pytest.raises(ValueError, match=r"TextClassifier.predict: the classifier has no model yet; call "
                                         r"fit\(texts, labels\) first"):
        classifier.predict(["a text"])
    with pytest.raises(ValueError, match=r"pass one label per text: 2 texts, 1 labels"):
        classifier.fit(["a", "b"], ["x"])
    with pytest.raises(ValueError, match=r"pass one label per text: 2 texts, no labels"):
        classifier.fit(["a", "b"])
    with pytest.raises(ValueError, match=r"the labels hold 1 class \(\['x'\]\); a classifier needs at least 2"):
        classifier.fit(["a", "b"], ["x", "x"])
    path = reviews.write_tsv(tmp_path / "r.tsv", 20)
    with pytest.raises(ValueError, match=r"labels come from the file '.*r.tsv'; leave `labels` out"):
        classifier.fit(path, ["x"] * 20)
    with pytest.raises(ValueError, match=r"invalid vectors_mode='multi'"):
        TextClassifier("cnn", vectors_mode="multi")
    with pytest.raises(ValueError, match=r"vectors_mode='multichannel' is Kim's CNN variant; architecture='rnn' "
                                         r"takes 'static' or 'non-static'"):
        TextClassifier("rnn", vectors_mode="multichannel")
    texts, labels = reviews.load_data(40, 0)
    classifier.fit(texts, labels, epochs=1, verbose=0)
    with pytest.raises(TypeError, match=r"TextClassifier.predict: pass a list of strings, e.g. \['one text'\], not "
                                        r"one string"):
        classifier.predict("one text")
    with pytest.raises(ValueError, match=r"labels \['negative', 'positive'\] are not among the classes the model "
                                         r"was trained on: \['0', '1'\]"):
        classifier.evaluate(*held_out)
    plain = Sequential([Embedding(10, 2, input_shape=(3,))])
    plain.save(tmp_path / "plain.lamina")
    with pytest.raises(ValueError, match=r"holds a lamina model but not a TextClassifier"):
        load_model(tmp_path / "plain.lamina")
