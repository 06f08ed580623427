"""Progbar: Keras's text progress bar for your own loops, printing to stdout."""
import sys
import time


class Progbar:
    """A progress bar with running averages of named values, as keras.utils.Progbar.

    Args:
        target: the total number of steps (or samples), None if unknown.
        width: the bar's width in characters.
        verbose: 1 draws the bar (redrawn in place on a terminal; elsewhere one line when done), 2 prints one line
            when done, 0 prints nothing.
        interval: the least number of seconds between two redraws.
        stateful_metrics: names of values shown as given; other values are averaged over the steps they cover.
        unit_name: what a step is called in the time per step ('step', 'sample').

    Example:
        >>> bar = Progbar(target=100)
        >>> for step in range(1, 101):
        ...     bar.update(step, values=[("loss", 0.5)])
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None, unit_name="step"):
        self.target, self.width, self.verbose, self.interval = target, width, verbose, interval
        self.stateful_metrics = set(stateful_metrics or ())
        self.unit_name = unit_name
        self._totals = {}  # name -> [weighted sum, steps] (or [value, 1] for stateful metrics)
        self._seen_so_far = 0
        self._start = time.time()
        self._last_update = 0.0
        self._previous_width = 0

    def update(self, current, values=None, finalize=None, force=False):
        """Moves the bar to step `current`.

        Args:
            current: the index of the current step.
            values: list of (name, value) pairs for the steps since the last update. A value is weighted by the
                number of those steps in its running average (Keras 1/2's rule), unless it is a stateful metric.
            finalize: whether this is the last update (default: current >= target).
            force: redraw even if less than `interval` seconds passed (Keras 1's argument).
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        steps = max(current - self._seen_so_far, 1)
        for name, value in values or []:
            if name in self.stateful_metrics:
                self._totals[name] = [value, 1]
            else:
                total = self._totals.setdefault(name, [0.0, 0])
                total[0] += value * steps
                total[1] += steps
        self._seen_so_far = current
        now = time.time()
        if self.verbose == 1 and (finalize or force or now - self._last_update >= self.interval):
            self._draw(current, now, finalize)
        elif self.verbose == 2 and finalize:
            print(f"{self._counter(current)}{self._elapsed_text(current, now)}{self._values_text()}", flush=True)

    def add(self, n, values=None):
        """Advances the bar by n steps."""
        self.update(self._seen_so_far + n, values)

    def _draw(self, current, now, finalize):
        line = self._counter(current)
        if self.target:
            done = int(self.width * min(current / self.target, 1.0))
            head = ("=" * (done - 1) + (">" if current < self.target else "=")) if done else ""
            line += f" [{head}{'.' * (self.width - done)}]"
        if finalize or not self.target:
            line += self._elapsed_text(current, now)
        else:
            line += f" - ETA: {_duration((now - self._start) / max(current, 1) * (self.target - current))}"
        line += self._values_text()
        self._last_update = now
        if sys.stdout.isatty():
            sys.stdout.write("\r" + line.ljust(self._previous_width) + ("\n" if finalize else ""))
            sys.stdout.flush()
            self._previous_width = len(line)
        elif finalize:
            print(line, flush=True)

    def _counter(self, current):
        if self.target is None:
            return f"{current:7d}/Unknown"
        return f"{current:{len(str(self.target))}d}/{self.target}"

    def _elapsed_text(self, current, now):
        """' - 12s 40ms/step': the time since the start and per step."""
        elapsed = now - self._start
        per_step = elapsed / max(current, 1)
        if per_step >= 1:
            rate = f"{per_step:.0f}s"
        elif per_step >= 1e-3:
            rate = f"{per_step * 1e3:.0f}ms"
        else:
            rate = f"{per_step * 1e6:.0f}us"
        return f" - {elapsed:.0f}s {rate}/{self.unit_name}"

    def _values_text(self):
        text = ""
        for name, (total, count) in self._totals.items():
            average = total / max(count, 1)
            text += f" - {name}: {average:.4f}" if abs(average) > 1e-3 else f" - {name}: {average:.4e}"
        return text


def _duration(seconds):
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"
