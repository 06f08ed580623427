"""Sentence classifiers with their papers' defaults, from token ids to class probabilities; each buildable by name.

- `text_cnn`: Kim (2014), "Convolutional Neural Networks for Sentence Classification": filter widths 3, 4 and 5
  with 100 maps each, ReLU, max-over-time pooling, dropout 0.5, and a max-norm of 3 on the classifier's weights.
- `text_rnn`: a bidirectional GRU (or LSTM) over the masked sequence, its last states concatenated.
- `fasttext`: Joulin et al. (2016), "Bag of Tricks for Efficient Text Classification": the average of the token
  (and n-gram) embeddings, then a linear classifier. Pair it with TextVectorization(ngrams=2).
"""
from lamina import constraints
from lamina.identifiers import check_choice
from lamina.layers import (GRU, LSTM, Activation, Add, Bidirectional, Concatenate, Conv1D, Dense, Dropout, Embedding,
                           GlobalAveragePooling1D, GlobalMaxPooling1D, Input)
from lamina.models import Model


def text_cnn(vocabulary_size, classes, sequence_length, embedding_dim=300, filter_widths=(3, 4, 5), filters=100,
             dropout=0.5, max_norm=3.0, embedding=None):
    """Kim's CNN: Embedding -> Conv1D per width (ReLU) -> max over time -> concatenate -> dropout -> softmax.

    Args:
        vocabulary_size, classes, sequence_length: ids in [0, vocabulary_size), the number of classes, and the
            padded length (at least the widest filter).
        embedding: an Embedding to use (e.g. lamina.text.pretrained_embedding's); None makes a random one. A pair
            of Embeddings is Kim's multichannel model: each filter is applied to both and the results are added
            before the ReLU (one static and one trained copy of the vectors, typically).

    Example:
        >>> model = text_cnn(vectorize.vocabulary_size(), 2, sequence_length=50)
    """
    tokens = Input((sequence_length,), dtype="int64", name="token_ids")
    channels = list(embedding) if isinstance(embedding, (list, tuple)) else [
        embedding or Embedding(vocabulary_size, embedding_dim, name="embedding")]
    embedded = [channel(tokens) for channel in channels]
    pooled = [GlobalMaxPooling1D(name=f"max_over_time_{width}")(_convolved(embedded, filters, width))
              for width in filter_widths]
    features = Concatenate(name="features")(pooled) if len(pooled) > 1 else pooled[0]
    outputs = Dense(classes, activation="softmax", kernel_constraint=constraints.MaxNorm(max_norm),
                    name="predictions")(Dropout(dropout, name="dropout")(features))
    return Model(tokens, outputs, name="text_cnn")


def _convolved(channels, filters, width):
    """ReLU of one Conv1D over one channel, or of the sum of the same Conv1D over each channel (Kim's multichannel;
    its bias, counted once per channel, is still one learned vector)."""
    if len(channels) == 1:
        return Conv1D(filters, width, activation="relu", name=f"conv_{width}")(channels[0])
    convolution = Conv1D(filters, width, name=f"conv_{width}")
    return Activation("relu", name=f"relu_{width}")(Add(name=f"channels_{width}")(
        [convolution(channel) for channel in channels]))


def text_rnn(vocabulary_size, classes, sequence_length=None, embedding_dim=128, units=64, cell="gru", dropout=0.5,
             embedding=None):
    """A bidirectional GRU or LSTM classifier: Embedding (padding masked) -> Bidirectional(cell) -> dropout ->
    softmax. Padding (id 0) is masked, so texts of any length up to `sequence_length` are read exactly."""
    check_choice("cell", cell, ("gru", "lstm"), owner="text_rnn")
    tokens = Input((sequence_length,), dtype="int64", name="token_ids")
    embedded = (embedding or Embedding(vocabulary_size, embedding_dim, mask_zero=True, name="embedding"))(tokens)
    recurrent = (GRU if cell == "gru" else LSTM)(units, name=cell)
    features = Bidirectional(recurrent, name=f"bidirectional_{cell}")(embedded)
    outputs = Dense(classes, activation="softmax", name="predictions")(Dropout(dropout, name="dropout")(features))
    return Model(tokens, outputs, name="text_rnn")


def fasttext(vocabulary_size, classes, sequence_length=None, embedding_dim=10, embedding=None):
    """fastText's classifier: the mean of the (masked) token embeddings, then a linear softmax layer."""
    tokens = Input((sequence_length,), dtype="int64", name="token_ids")
    embedded = (embedding or Embedding(vocabulary_size, embedding_dim, mask_zero=True, name="embedding"))(tokens)
    outputs = Dense(classes, activation="softmax", name="predictions")(GlobalAveragePooling1D(name="mean")(embedded))
    return Model(tokens, outputs, name="fasttext")


ARCHITECTURES = {"cnn": text_cnn, "rnn": text_rnn, "fasttext": fasttext}


def text_model(architecture, vocabulary_size, classes, sequence_length=None, **options):
    """The model `architecture` ('cnn', 'rnn' or 'fasttext') with its defaults, `options` overriding them."""
    check_choice("architecture", architecture, tuple(ARCHITECTURES), owner="text_model")
    return ARCHITECTURES[architecture](vocabulary_size, classes, sequence_length=sequence_length, **options)
