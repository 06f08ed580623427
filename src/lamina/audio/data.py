"""Labelled recordings: one subfolder per class, or labels (and speakers, sessions...) read from file names by a
pattern such as '{label}_{speaker}_{n}.wav'; and validation splits that keep a group (a speaker) on one side."""
import hashlib
import os
import re
from dataclasses import dataclass, field

import numpy as np

from lamina.audio.reading import EXTENSIONS
from lamina.preprocessing.image_files import class_subdirectories, image_files

FIELD = re.compile(r"\{(\w+)\}")


@dataclass
class Recordings:
    """Recording files, the label of each, and the other fields a file-name pattern gave (e.g. 'speaker')."""

    paths: list
    labels: list
    fields: dict = field(default_factory=dict)

    def __len__(self):
        return len(self.paths)


def labelled_recordings(folder, pattern=None):
    """The recordings under `folder` with their labels: each class subfolder's name, or the `{label}` field of
    `pattern` matched against each file name (then subfolders are just searched).

    Args:
        folder: a folder of recordings (wav, flac, ogg), in class subfolders unless `pattern` is given.
        pattern: e.g. '{label}_{speaker}_{n}.wav': fields in braces match any text (the shortest that fits), the
            rest literally; it must name a `{label}` field. Files that do not match are an error listing a few.

    Example:
        >>> recordings = labelled_recordings("recordings", "{label}_{speaker}_{n}.wav")
        >>> recordings.fields["speaker"][:2]
        ['george', 'george']
    """
    folder = os.fspath(folder)
    if pattern is None:
        classes = [name for name in class_subdirectories(folder) if not name.startswith(".")]
        paths, labels = [], []
        for name in classes:
            found = _recordings(os.path.join(folder, name))
            paths += found
            labels += [name] * len(found)
        if not paths:
            raise ValueError(f"No recordings ({_formats()}) in class subfolders of {folder!r}; put each class's "
                             f"files in a subfolder named after it, or pass a file-name pattern.")
        return Recordings(paths, labels)
    names = FIELD.findall(pattern)
    if "label" not in names:
        raise ValueError(f"The file-name pattern {pattern!r} has no {{label}} field; e.g. '{{label}}_{{speaker}}_"
                         f"{{n}}.wav'.")
    expression = re.compile("".join(f"(?P<{part}>.+?)" if index % 2 else re.escape(part)
                                    for index, part in enumerate(FIELD.split(pattern))) + "$")
    paths = _recordings(folder)
    matches = [expression.match(os.path.basename(path)) for path in paths]
    unmatched = [os.path.basename(path) for path, match in zip(paths, matches) if match is None]
    if unmatched:
        raise ValueError(f"{len(unmatched)} file(s) in {folder!r} do not match the pattern {pattern!r}, e.g. "
                         f"{', '.join(unmatched[:3])}. Rename them or adjust the pattern.")
    if not paths:
        raise ValueError(f"No recordings ({_formats()}) in {folder!r}.")
    fields = {name: [match[name] for match in matches] for name in names if name != "label"}
    return Recordings(paths, [match["label"] for match in matches], fields)


def grouped_validation_mask(groups, validation_split, seed=0):
    """A boolean array, True for the items held out: whole groups (e.g. speakers), drawn in a seeded order until
    they hold at least `validation_split` of the items, so that no group is on both sides."""
    groups = [str(group) for group in groups]
    distinct = sorted(set(groups), key=lambda group: hashlib.blake2b(f"{seed}:{group}".encode(),
                                                                     digest_size=8).digest())
    if len(distinct) < 2:
        raise ValueError(f"A grouped split needs at least 2 groups; all {len(groups)} items are in group "
                         f"{distinct[0]!r}.")
    counts = {group: groups.count(group) for group in distinct}
    held, total = [], 0
    for group in distinct[:-1]:  # at least one group stays for training
        if total >= validation_split * len(groups):
            break
        held.append(group)
        total += counts[group]
    held = set(held)
    return np.array([group in held for group in groups])


def _recordings(folder):
    return [os.path.join(folder, name) for name in image_files(folder, EXTENSIONS)
            if not any(part.startswith(".") for part in name.split(os.sep))]


def _formats():
    return ", ".join("." + extension for extension in EXTENSIONS)
