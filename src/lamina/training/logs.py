"""Logs handed to callbacks: values are read from the metrics only when a callback asks for them."""
from collections.abc import MutableMapping


class LazyLogs(MutableMapping):
    """A dict-like view of metric results; reading a value is the only thing that waits for the device."""

    def __init__(self, metrics):
        self._metrics = metrics
        self._extra = {}

    def __getitem__(self, key):
        if key in self._extra:
            return self._extra[key]
        return float(self._metrics[key].result())

    def __setitem__(self, key, value):
        self._extra[key] = value

    def __delitem__(self, key):
        del self._extra[key]

    def __iter__(self):
        yield from self._metrics
        yield from (key for key in self._extra if key not in self._metrics)

    def __len__(self):
        return len(set(self._metrics) | set(self._extra))

    def __repr__(self):
        return repr(dict(self))
