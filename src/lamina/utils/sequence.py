"""Sequence: a dataset of batches that fit() can shuffle and read in any order."""


class Sequence:
    """Base class for batch datasets: implement __len__ (number of batches) and __getitem__(index) -> (x, y).

    fit() visits the batches in a shuffled order each epoch (shuffle=True) and calls on_epoch_end() after.

    Example:
        >>> class Batches(Sequence):
        ...     def __len__(self): return 10
        ...     def __getitem__(self, index): return x[index * 32:(index + 1) * 32], y[index * 32:(index + 1) * 32]
    """

    def __len__(self):
        raise NotImplementedError("A Sequence must implement __len__ (the number of batches).")

    def __getitem__(self, index):
        raise NotImplementedError("A Sequence must implement __getitem__(index) returning (x, y).")

    def on_epoch_end(self):
        """Called after each epoch; override to reshuffle or regenerate data."""
