"""get_file: downloads a file once into lamina's cache folder, checks its hash, and never leaves a broken file.

A download goes to a hidden `.NAME.part` file beside its final place. The connection is retried, resuming where
it stopped with an HTTP Range request; only when the whole file has arrived and its hash matches is it renamed to
NAME (one `os.replace`). If every attempt fails, the `.part` file stays for the next call to resume from, and NAME
is untouched. Archives are extracted into a hidden folder and renamed into place the same way.

The cache folder is `~/.lamina` (or `$LAMINA_HOME`), sub-folder `datasets` unless told otherwise.
"""
import hashlib
import http.client
import os
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile

from tqdm.auto import tqdm

from lamina.identifiers import check_choice

HOME_VARIABLE = "LAMINA_HOME"
HASH_ALGORITHMS = ("auto", "sha256", "md5")
ARCHIVE_FORMATS = ("auto", "tar", "zip")
DOWNLOAD_ATTEMPTS = 4
RETRY_DELAY_SECONDS = 1.0  # doubled after each failed attempt
TIMEOUT_SECONDS = 60
CHUNK_BYTES = 1 << 20


class DownloadError(OSError):
    """A file could not be downloaded: no network, an HTTP error, or the connection dropped on every attempt."""


class _Interrupted(Exception):
    """A connection was made but the transfer failed in a way worth retrying (dropped, timed out, HTTP 5xx)."""


class _Unreachable(Exception):
    """No connection could be made (offline, unknown host, refused)."""


class _Refused(Exception):
    """The server answered with an HTTP error that retrying will not fix (404, 403...)."""


def lamina_home():
    """The folder lamina caches downloads in: `$LAMINA_HOME` if set, else `~/.lamina`."""
    return os.path.expanduser(os.environ.get(HOME_VARIABLE) or os.path.join("~", ".lamina"))


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """Downloads a file from a URL unless it is already cached, and returns its local path (as Keras).

    The file lands at `cache_dir/cache_subdir/fname` (by default `~/.lamina/datasets/fname`; set the
    `LAMINA_HOME` environment variable to move `~/.lamina`). A cached file whose hash does not match `file_hash`
    is downloaded again. Downloads are retried and resumed, shown with a progress bar, verified, then renamed
    into place, so the cache never holds a partial or unverified file.

    Args:
        fname: the file's name in the cache (no folders). Default: the last part of the URL's path. With
            `extract=True`, a name without a dot names the extraction folder (the archive is kept as
            `fname_archive`); a name with a dot is the archive's name and it is extracted to
            `<fname up to its first dot>_extracted`.
        origin: the URL (http, https, ftp or file).
        untar: Keras 1's name for `extract=True` with `archive_format='tar'`.
        md5_hash: Keras 1's name for `file_hash` with `hash_algorithm='md5'`.
        file_hash: the expected sha256 or md5 hex digest; None skips verification. With an explicit
            `hash_algorithm`, 8 or more leading hex digits check a prefix of the digest (the hashes in torch
            hub's checkpoint names, e.g. `vgg16-397923af.pth`).
        cache_subdir: sub-folder of `cache_dir`; an absolute path is used as it is.
        hash_algorithm: 'sha256', 'md5', or 'auto' (64 hex digits mean sha256, 32 mean md5).
        extract: extract the archive (tar, tar.gz, tar.bz2, tar.xz or zip). Members that would land outside the
            extraction folder (absolute paths, `..`, links pointing out) are refused with a ValueError.
        archive_format: 'auto' (tar, then zip), 'tar' or 'zip'.
        cache_dir: the cache's root folder. Default: `$LAMINA_HOME` or `~/.lamina`.
        force_download: download again even when a verified copy is cached.

    Returns:
        The path of the file, or of the extraction folder when extracting.

    Raises:
        DownloadError (an OSError): offline, HTTP error, or the connection failed on every attempt. The message
            names the URL and the exact path to copy the file to by hand.
        ValueError: the downloaded file's hash does not match `file_hash` (nothing is cached), or bad arguments.

    Example:
        >>> path = get_file("mnist.npz", "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        ...                 file_hash="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1")
    """
    if not origin:
        raise ValueError("get_file: origin is missing. Pass the URL of the file to download, e.g. "
                         "origin='https://example.com/data.npz'.")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    checksum = _checksum(file_hash, hash_algorithm)
    extract = bool(extract or untar)
    if untar:
        archive_format = "tar"
    name = os.fspath(fname) if fname else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not name:
        raise ValueError(f"get_file: cannot take a file name from origin={origin!r}. Pass fname='name.ext'.")
    if "/" in name or os.sep in name:
        raise ValueError(f"get_file: fname={name!r} contains a folder. Pass a bare file name and choose the "
                         f"folder with cache_dir= or cache_subdir=.")
    folder = _cache_folder(cache_dir, cache_subdir)
    target, extraction_folder = _targets(folder, name, extract, named=bool(fname))
    downloaded = False
    if force_download or not os.path.exists(target):
        _download(origin, target, checksum, stale=False)
        downloaded = True
    elif checksum is not None and not _matches(target, checksum):
        print(f"The cached file {target} does not match its {checksum[0]} {checksum[1]}; downloading it again.",
              file=sys.stderr)
        _download(origin, target, checksum, stale=True)
        downloaded = True
    if not extract:
        return target
    if downloaded or not os.path.isdir(extraction_folder):
        extract_archive(target, extraction_folder, archive_format)
    return extraction_folder


def extract_archive(file_path, path, archive_format="auto"):
    """Extracts a tar (any compression) or zip archive into the folder `path`, safely and atomically.

    Every member is checked first: absolute names, `..` that climbs out of `path`, links whose target lies
    outside it, and device files are refused with a ValueError (nothing is written). The archive is extracted
    into a hidden folder beside `path` and renamed to `path` at the end, replacing an older extraction.

    Args:
        file_path: the archive.
        path: the folder to create.
        archive_format: 'auto' (tar, then zip), 'tar' or 'zip'.
    """
    archive_format = check_choice("archive_format", archive_format, ARCHIVE_FORMATS)
    formats = ("tar", "zip") if archive_format == "auto" else (archive_format,)
    file_path, path = os.fspath(file_path), os.path.abspath(os.fspath(path))
    if "tar" in formats and tarfile.is_tarfile(file_path):
        opener, extractor = tarfile.open, _extract_tar
    elif "zip" in formats and zipfile.is_zipfile(file_path):
        opener, extractor = zipfile.ZipFile, _extract_zip
    else:
        raise ValueError(f"Cannot extract '{file_path}': it is not a {' or '.join(formats)} archive "
                         f"(archive_format={archive_format!r}). Check the file, or call get_file with extract=False.")
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(path)}.", suffix=".extracting")
    try:
        with opener(file_path) as archive:
            extractor(archive, staging, file_path)
        if os.path.isdir(path):
            shutil.rmtree(path)
        os.replace(staging, path)
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging)


def _checksum(file_hash, algorithm):
    """(algorithm, lower-case hex digest) or None when there is no hash to check."""
    algorithm = check_choice("hash_algorithm", algorithm, HASH_ALGORITHMS)
    if file_hash is None:
        return None
    file_hash = str(file_hash).strip().lower()
    if algorithm == "auto":
        lengths = {64: "sha256", 32: "md5"}
        if len(file_hash) not in lengths:
            raise ValueError(f"get_file: file_hash={file_hash!r} has {len(file_hash)} characters; expected a sha256 "
                             f"(64 hex digits) or md5 (32) digest, or pass hash_algorithm='sha256' or 'md5'.")
        algorithm = lengths[len(file_hash)]
    full = hashlib.new(algorithm).digest_size * 2
    if len(file_hash) < 8 or len(file_hash) > full or any(c not in "0123456789abcdef" for c in file_hash):
        raise ValueError(f"get_file: file_hash={file_hash!r} is not a {algorithm} digest or prefix: expected 8 to "
                         f"{full} hex digits.")
    return algorithm, file_hash


def _matches(path, checksum):
    """Whether the file's digest starts with the expected digest (the whole digest, or a prefix of it)."""
    return _digest(path, checksum[0]).startswith(checksum[1])


def hash_matches(path, file_hash, hash_algorithm="auto"):
    """Whether the file at `path` has `file_hash` (a digest, or with an explicit algorithm a prefix of one)."""
    return _matches(path, _checksum(file_hash, hash_algorithm))


def _digest(path, algorithm, chunk_size=CHUNK_BYTES):
    hasher = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def _cache_folder(cache_dir, cache_subdir):
    root = os.path.expanduser(os.fspath(cache_dir)) if cache_dir is not None else lamina_home()
    folder = os.path.join(root, os.fspath(cache_subdir))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise PermissionError(f"Cannot create the cache folder '{folder}': {error.strerror or error}. Set the "
                              f"{HOME_VARIABLE} environment variable (or pass cache_dir=) to a writable folder.") \
            from error
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"The cache folder '{folder}' is not writable. Set the {HOME_VARIABLE} environment "
                              f"variable (or pass cache_dir=) to a writable folder.")
    return folder


def _targets(folder, name, extract, named):
    """(where the downloaded file goes, the extraction folder or None), with Keras 3's naming."""
    if not extract:
        return os.path.join(folder, name), None
    if named and "." in name:
        return os.path.join(folder, name), os.path.join(folder, name[:name.index(".")] + "_extracted")
    return os.path.join(folder, name + "_archive"), os.path.join(folder, name)


def _download(origin, target, checksum, stale):
    folder, name = os.path.split(target)
    partial = os.path.join(folder, f".{name}.part")
    print(f"Downloading data from {origin}", file=sys.stderr)
    for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
        try:
            _fetch(origin, partial, name)
            break
        except _Interrupted as error:
            if attempt == DOWNLOAD_ATTEMPTS:
                received = os.path.getsize(partial) if os.path.exists(partial) else 0
                raise DownloadError(
                    f"Downloading {origin} failed {DOWNLOAD_ATTEMPTS} times; last: {error}. {received} bytes are "
                    f"kept in '{partial}' and the next call resumes from them. "
                    + _by_hand(origin, target, checksum, stale)) from error
            time.sleep(RETRY_DELAY_SECONDS * 2 ** (attempt - 1))
        except _Unreachable as error:
            raise DownloadError(f"Cannot reach {origin} ({error}): are you offline, or is a proxy or firewall in the "
                                f"way? " + _by_hand(origin, target, checksum, stale)) from error
        except _Refused as error:
            raise DownloadError(f"Downloading {origin} failed: {error}. " + _by_hand(origin, target, checksum, stale)) \
                from error
    if checksum is not None:
        actual = _digest(partial, checksum[0])
        if not actual.startswith(checksum[1]):
            os.remove(partial)
            raise ValueError(
                f"The file downloaded from {origin} is corrupted or not the expected version: its {checksum[0]} is "
                f"{actual}, expected {checksum[1]}. It was deleted and nothing was cached; call again to retry, "
                f"or check the URL (and a mirror, if you set one).")
    os.replace(partial, target)


def _fetch(url, partial, label):
    """Downloads `url` into `partial`, continuing after the bytes already there when the server allows it."""
    offset = os.path.getsize(partial) if os.path.exists(partial) else 0
    request = urllib.request.Request(url, headers={"User-Agent": "lamina (Python urllib)"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 416 and offset:  # the kept bytes do not fit the file any more: start again
            os.remove(partial)
            raise _Interrupted("the server refused to resume (HTTP 416); starting over") from error
        if error.code >= 500 or error.code == 429:
            raise _Interrupted(f"HTTP {error.code} {error.reason}") from error
        raise _Refused(f"HTTP {error.code} {error.reason}") from error
    except urllib.error.URLError as error:
        raise _Unreachable(error.reason) from error
    except (OSError, http.client.HTTPException) as error:
        raise _Interrupted(f"no response ({type(error).__name__}: {error})") from error
    with response:
        if offset and getattr(response, "status", None) != 206:  # no Range support: the body is the whole file
            offset = 0
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        with open(partial, "ab" if offset else "wb") as handle, \
                tqdm(total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
                     file=sys.stderr) as bar:
            for chunk in _chunks(response):
                handle.write(chunk)
                bar.update(len(chunk))
            handle.flush()
            os.fsync(handle.fileno())
    received = os.path.getsize(partial)
    if total is not None and received < total:
        raise _Interrupted(f"the connection closed after {received} of {total} bytes")


def _chunks(response):
    while True:
        try:
            chunk = response.read(CHUNK_BYTES)
        except (OSError, http.client.HTTPException) as error:
            raise _Interrupted(f"the connection broke ({type(error).__name__}: {error})") from error
        if not chunk:
            return
        yield chunk


def _by_hand(origin, target, checksum, stale):
    digest = f" ({checksum[0]} {checksum[1]})" if checksum is not None else ""
    problem = (f" The file now at '{target}' does not match that hash: it is incomplete or another version."
               if stale else "")
    return (f"To install it by hand, download {origin} on a machine with internet access and copy it to "
            f"'{target}'{digest}, then call again.{problem}")


def _extract_tar(archive, folder, file_path):
    members = archive.getmembers()
    for member in members:
        if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
            raise _unsafe_member(file_path, member.name, "is a device or other special file")
        _check_inside(folder, member.name, member.name, file_path)
        link_problem = f"links to '{member.linkname}', outside the extraction folder"
        if member.issym():
            _check_inside(folder, os.path.join(os.path.dirname(member.name), member.linkname), member.name,
                          file_path, link_problem)
        if member.islnk():
            _check_inside(folder, member.linkname, member.name, file_path, link_problem)
    if not hasattr(tarfile, "data_filter"):  # Python < 3.10.12 / 3.11.4: the checks above are all there is
        archive.extractall(folder, members=members)
        return
    try:  # the 'data' filter also checks links against the files already extracted, and drops setuid bits
        archive.extractall(folder, members=members, filter="data")
    except tarfile.FilterError as error:
        raise _unsafe_member(file_path, error.tarinfo.name, f"was refused ({error})") from error


def _extract_zip(archive, folder, file_path):
    for info in archive.infolist():
        _check_inside(folder, info.filename, info.filename, file_path)
    archive.extractall(folder)


def _check_inside(folder, relative_path, member_name, file_path,
                  problem="would be written outside the extraction folder"):
    root = os.path.realpath(folder)
    destination = os.path.realpath(os.path.join(root, relative_path))
    if os.path.isabs(relative_path) or os.path.commonpath([root, destination]) != root:
        raise _unsafe_member(file_path, member_name, problem)


def _unsafe_member(file_path, name, problem):
    return ValueError(f"Refusing to extract '{file_path}': its member '{name}' {problem}. Nothing was extracted; "
                      f"the archive may be malicious or damaged.")
