"""model.save() is atomic: a SIGKILL at any moment of a save, an unwritable folder or a full disk leaves the file
at `path` loadable and equal to one complete saved version.

A kill during a save may leave a temporary file next to the model: a hidden `.<name>.<random>.tmp` in the same
folder (nothing can remove it once the process is dead, and later saves leave it too). It is never mistaken for
the model: it has another name, and shell or glob.glob patterns such as `*.lamina` skip it because it starts
with a dot. (pathlib's Path.glob does not skip dot files: code listing checkpoints with it should drop names
starting with '.'.) Such leftovers are safe to delete.
"""
import errno
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np
import pytest

from lamina.layers import Dense, Input
from lamina.models import Sequential, load_model
from lamina.saving import ModelFileError
from lamina.files import is_temporary_for

INPUTS = np.random.default_rng(0).standard_normal((4, 64)).astype("float32")


def build_model():
    """About 1.3 million weights: a save (5 MB, deflated) takes about 0.15 s, a window to kill in."""
    return Sequential([Input((64,)), Dense(768, activation="relu", name="first"),
                       Dense(768, activation="relu", name="second"), Dense(768, name="third"),
                       Dense(10, name="out")])


def version_weights(model, version):
    """The weights of saved version `version`: random, with the version number in the last bias."""
    rng = np.random.default_rng(version)
    weights = [rng.standard_normal(w.shape).astype("float32") * 0.05 for w in model.get_weights()]
    weights[-1][0] = version
    return weights


def saved_version(path, reference):
    """The version the file at `path` holds, after checking that every weight and the predictions equal it."""
    loaded = load_model(path)
    weights = loaded.get_weights()
    version = int(weights[-1][0])
    reference.set_weights(version_weights(reference, version))
    for got, expected in zip(weights, reference.get_weights()):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(loaded.predict(INPUTS), reference.predict(INPUTS))
    return version


class WritesHalf:
    """A file whose write() writes half the data, then calls `then` (a SIGKILL, or a full disk's OSError)."""

    def __init__(self, handle, then):
        self.handle, self.then = handle, then

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.handle.close()

    def write(self, data):
        self.handle.write(data[:len(data) // 2])
        self.handle.flush()
        self.then()


def assert_no_stray_model_files(folder, name="model.lamina"):
    """Only the model and, perhaps, hidden temporary files of interrupted saves; globs see only the model."""
    for entry in os.listdir(folder):
        assert entry == name or is_temporary_for(entry, name), entry
    assert glob.glob("*.lamina", root_dir=folder) == [name]


SAVER = textwrap.dedent("""
    import os, signal, sys, time

    sys.path.insert(0, {tests!r})
    import torch

    torch.set_num_threads(1)  # no thread pool, so forking this process is safe
    from test_kill_during_save import WritesHalf, build_model, version_weights

    real_fdopen, real_replace = os.fdopen, os.replace


    def die(*args):
        os.kill(os.getpid(), signal.SIGKILL)


    def arm(kill_point):
        if kill_point == "write":
            os.fdopen = lambda *args, **kwargs: WritesHalf(real_fdopen(*args, **kwargs), then=die)
        elif kill_point == "replace":
            os.replace = die
        elif kill_point == "after-replace":
            os.replace = lambda *args: (real_replace(*args), die())


    def save_forever(model, path, kill_point):
        print("pid", os.getpid(), flush=True)
        version = 0
        while True:
            version += 1
            if version == 2 and kill_point != "timed":
                arm(kill_point)
            model.set_weights(version_weights(model, version))
            print("saving", version, flush=True)
            start = time.perf_counter()
            model.save(path)
            print("saved", version, time.perf_counter() - start, flush=True)


    model = build_model()  # once: each run is a fork of this process, killed by the test or by its kill point
    for path, kill_point in zip(sys.argv[1::2], sys.argv[2::2]):
        pid = os.fork()
        if pid == 0:
            try:
                save_forever(model, path, kill_point)
            finally:
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        print("end", os.WTERMSIG(status) if os.WIFSIGNALED(status) else -1, flush=True)
""").format(tests=os.path.dirname(os.path.abspath(__file__)))


def start_saving(tmp_path, kill_points):
    """A process that, for each kill point in turn, forks a saver: a copy of itself saving versions 1, 2, ... of
    the model to runN-<kill point>/model.lamina, which holds version 0. Returns it and [(folder, path)]."""
    model = build_model()
    model.set_weights(version_weights(model, 0))
    model.save(tmp_path / "version0.lamina")
    runs = []
    for index, kill_point in enumerate(kill_points):
        folder = tmp_path / f"run{index}-{kill_point}"
        folder.mkdir()
        shutil.copyfile(tmp_path / "version0.lamina", folder / "model.lamina")
        runs.append((folder, folder / "model.lamina"))
    script = tmp_path / "save_forever.py"
    script.write_text(SAVER)
    arguments = [str(argument) for (_, path), kill_point in zip(runs, kill_points) for argument in (path, kill_point)]
    process = subprocess.Popen([sys.executable, str(script), *arguments], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    return process, runs


def follow_run(process, fraction=None):
    """Reads one saver's output until it is SIGKILLed: by its kill point or, given `fraction`, by this function,
    that fraction of a save's duration after it starts saving version 2. Returns the last versions it started
    and finished saving."""
    lines = []
    while not lines or lines[-1][0] != "end":
        line = process.stdout.readline()
        assert line, process.stderr.read()
        lines.append(line.split())
        if fraction is not None and lines[-1][:2] == ["saving", "2"]:
            duration = next(float(words[2]) for words in lines if words[:2] == ["saved", "1"])
            time.sleep(fraction * duration)
            os.kill(next(int(words[1]) for words in lines if words[0] == "pid"), signal.SIGKILL)
    assert int(lines[-1][1]) == signal.SIGKILL, lines
    return (max((int(words[1]) for words in lines if words[0] == "saving"), default=0),
            max((int(words[1]) for words in lines if words[0] == "saved"), default=0))


def finish(process):
    with process:  # closes the pipes
        stderr = process.stderr.read()
    assert process.wait() == 0, stderr


posix_only = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs POSIX fork and SIGKILL")


@posix_only
def test_a_sigkill_at_any_moment_of_a_save_leaves_a_complete_version(tmp_path):
    # Compressing comes first, writing the file last: fractions near 1 aim at the write, fsync and rename.
    fractions = [0.5, 0.9, 0.95, 1.0]
    process, runs = start_saving(tmp_path, ["timed"] * len(fractions))
    printed = [follow_run(process, fraction) for fraction in fractions]
    finish(process)
    reference = build_model()
    for (folder, path), (saving, saved) in zip(runs, printed):
        version = saved_version(path, reference)
        # The last finished save, or the one in progress if the kill came between its rename and its print.
        assert version in (saved, saving), (version, saving, saved)
        assert_no_stray_model_files(folder)


@posix_only
def test_a_sigkill_at_each_step_of_the_atomic_write(tmp_path):
    """Killed while writing the temporary file, just before the rename, just after it."""
    expected = {"write": (1, "partial"), "replace": (1, "complete"), "after-replace": (2, None)}
    process, runs = start_saving(tmp_path, list(expected))
    printed = [follow_run(process) for _ in expected]
    finish(process)
    reference = build_model()
    for (point, (version, leftover)), (folder, path), versions in zip(expected.items(), runs, printed):
        assert versions == (2, 1)  # killed inside the save of version 2
        assert saved_version(path, reference) == version, point
        assert_no_stray_model_files(folder)
        temporary = [folder / name for name in os.listdir(folder) if is_temporary_for(name, path.name)]
        if leftover is None:
            assert temporary == []
        elif leftover == "partial":  # a half-written leftover is refused if someone loads it on purpose
            (left,) = temporary
            with pytest.raises(ModelFileError):
                load_model(left)
        else:  # killed before the rename: the leftover is version 2, complete but never renamed into place
            (left,) = temporary
            assert saved_version(left, reference) == 2


@pytest.fixture
def saved_model(tmp_path):
    """(model, path): version 0 saved at tmp_path/folder/model.lamina, and the model now holding version 1."""
    folder = tmp_path / "folder"
    folder.mkdir()
    path = folder / "model.lamina"
    model = build_model()
    model.set_weights(version_weights(model, 0))
    model.save(path)
    model.set_weights(version_weights(model, 1))
    return model, path


def test_saving_into_a_missing_folder_raises_and_creates_nothing(tmp_path):
    path = tmp_path / "missing" / "model.lamina"
    with pytest.raises(FileNotFoundError, match=r"Cannot write .*model.lamina.*the folder .*missing' does not "
                                                r"exist. Create it first"):
        build_model().save(path)
    assert os.listdir(tmp_path) == []


def test_saving_into_an_unwritable_folder_leaves_the_existing_file(saved_model, monkeypatch):
    model, path = saved_model
    before = path.read_bytes()
    folder = path.parent
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):  # root ignores permissions: refuse the file as the OS would for others
            def refuse(dir=None, prefix="", suffix=""):
                name = os.path.join(dir, f"{prefix}refused{suffix}")
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), name)

            monkeypatch.setattr(tempfile, "mkstemp", refuse)
        with pytest.raises(PermissionError) as error:
            model.save(path)
    finally:
        folder.chmod(0o755)
    assert str(folder) in str(error.value)
    assert path.read_bytes() == before
    assert saved_version(path, build_model()) == 0
    assert_no_stray_model_files(folder)
    assert not any(is_temporary_for(name, path.name) for name in os.listdir(folder))


def no_space(*args):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def full_disk_on_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", no_space)


def full_disk_on_write(monkeypatch):  # the disk fills up halfway through the file
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda *args, **kwargs: WritesHalf(real_fdopen(*args, **kwargs), then=no_space))


@pytest.mark.parametrize("fill_disk", [full_disk_on_write, full_disk_on_fsync], ids=["write", "fsync"])
def test_a_full_disk_leaves_the_old_file_intact(saved_model, monkeypatch, fill_disk):
    model, path = saved_model
    before = path.read_bytes()
    fill_disk(monkeypatch)
    with pytest.raises(OSError) as error:
        model.save(path)
    monkeypatch.undo()
    assert error.value.errno == errno.ENOSPC
    assert path.read_bytes() == before
    assert saved_version(path, build_model()) == 0
    assert os.listdir(path.parent) == ["model.lamina"]  # the temporary file was removed
    model.save(path)  # space again: the next save works
    assert saved_version(path, build_model()) == 1


@pytest.mark.parametrize("fill_disk", [full_disk_on_write, full_disk_on_fsync], ids=["write", "fsync"])
def test_a_full_disk_error_names_the_path(saved_model, monkeypatch, fill_disk):
    model, path = saved_model
    fill_disk(monkeypatch)
    with pytest.raises(OSError) as error:
        model.save(path)
    assert str(path) in str(error.value)

