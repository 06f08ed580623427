"""Atomic file writes: a crash or a full disk never leaves a half-written file in place of a good one."""
import os
import tempfile


def atomic_write(path, data):
    """Writes bytes to `path` through a temporary file in the same folder, fsynced, then renamed over it."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot write '{path}': the folder '{folder}' does not exist. Create it first.")
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix="-" + os.path.basename(path))
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
