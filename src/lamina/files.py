"""Atomic file writes: a crash or a full disk never leaves a half-written file in place of a good one."""
import io
import os
import stat
import tempfile
import zipfile


def atomic_write(path, data):
    """Writes bytes to `path` through a temporary file in the same folder, fsynced, then renamed over it.

    The temporary file is hidden (`.name.XXXX.tmp`) and removed on any error; the new file gets the old file's
    permissions, or the usual ones for a new file (0666 less the umask). An OSError (full disk, no permission)
    names the path and leaves the previous file untouched.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot write '{path}': the folder '{folder}' does not exist. Create it first.")
    temporary = None
    try:
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _permissions_for(path))
        os.replace(temporary, path)
    except OSError as error:
        _remove(temporary)
        raise type(error)(error.errno, f"Cannot write '{path}': {error.strerror or error}. The previous file, if "
                                       f"any, is unchanged.") from error
    except BaseException:
        _remove(temporary)
        raise


def atomic_write_archive(path, members, compression=zipfile.ZIP_STORED):
    """Writes a zip archive of {member name: bytes or str} to `path` atomically (see atomic_write)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    atomic_write(path, buffer.getvalue())


def is_temporary_for(entry, name):
    """Whether a folder entry is a temporary file atomic_write made (or a killed process left) for `name`."""
    return entry.startswith(f".{name}.") and entry.endswith(".tmp")


def _permissions_for(path):
    if os.path.exists(path):
        return stat.S_IMODE(os.stat(path).st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _remove(temporary):
    if temporary is not None and os.path.exists(temporary):
        os.unlink(temporary)
