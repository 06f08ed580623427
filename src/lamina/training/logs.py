"""Logs handed to callbacks: values are read from the metrics only when a callback asks for them."""
from collections.abc import MutableMapping


class LazyLogs(MutableMapping):
    """A dict-like view of metric results; reading a value is the only thing that waits for the device.

    With a `resolver` (fit's History's), a metric's other-generation name ('acc' for 'accuracy') reads it too.
    """

    def __init__(self, metrics, resolver=None):
        self._metrics = metrics
        self._extra = {}
        self.resolver = resolver

    def __getitem__(self, key):
        if key in self._extra:
            return self._extra[key]
        if key not in self._metrics and self.resolver is not None:
            key = self.resolver.resolve(key, self._metrics, "logs") or key
        return float(self._metrics[key].result())

    def __contains__(self, key):
        return key in self._metrics or key in self._extra

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
