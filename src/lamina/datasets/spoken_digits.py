"""The Free Spoken Digit Dataset (FSDD 1.0.10): 3,000 recordings of the digits 0-9 spoken in English by 6 speakers,
50 of each digit per speaker, 8 kHz mono wav files named `{digit}_{speaker}_{index}.wav`.

The archive of the dataset's git tag v1.0.10 is downloaded once from GitHub into `~/.lamina/datasets`
and extracted next to itself. FSDD publishes no hash, so the contents are checked instead: exactly 3,000 wav
files with well-formed names, 50 of each digit for every speaker, every one a readable mono 8 kHz recording. The
archive's sha256 is then recorded next to it (`free-spoken-digit-dataset-1.0.10.tar.gz.sha256.json`), and every
later load and download is checked against that record, so a changed file is noticed.

Example:
    >>> from lamina.datasets import spoken_digits
    >>> (x_train, y_train), (x_test, y_test) = spoken_digits.load_data()
    >>> x_train.shape, x_test.shape
    ((2700, 8000), (300, 8000))
"""
import datetime
import hashlib
import json
import os
import re
import shutil
import tarfile
import zlib

import numpy as np

from lamina.datasets import sources
from lamina.utils import downloads

ARCHIVE = "free-spoken-digit-dataset-1.0.10.tar.gz"  # its key in sources.FILES, and its name in the cache
TOP_FOLDER = "free-spoken-digit-dataset-1.0.10"
SAMPLE_RATE = 8000
DIGITS = 10
TAKES = 50  # recordings of each digit by each speaker, numbered 0-49
TEST_TAKES = 5  # takes 0-4 are the test set, FSDD's official split
RECORDING_COUNT = 3000
NAME_PATTERN = re.compile(r"([0-9])_([^_]+)_(0|[1-9][0-9]*)\.wav")
RECORD_SUFFIX = ".sha256.json"


def load_data(sample_rate=SAMPLE_RATE, duration=1.0, path=None):
    """Loads FSDD as waveforms of one length, split as FSDD prescribes: takes 0-4 test (10%), 5-49 train.

    The recordings are trimmed to the spoken digit, most under a second long; each is zero-padded or trimmed at
    the end to `duration` seconds. Both sets are sorted by speaker name, then digit, then take number, so the
    order is always the same (shuffle before training).

    Args:
        sample_rate: the rate (Hz) of the returned waveforms; other than 8000, the recordings are resampled
            (scipy's polyphase filter).
        duration: the length of every waveform in seconds: `int(sample_rate * duration)` samples.
        path: the archive's name in the cache folder (default `free-spoken-digit-dataset-1.0.10.tar.gz`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: x float32 mono waveforms, shape (2700, samples) and
        (300, samples); y int64 digits 0-9, shape (2700,) and (300,).

    Raises:
        DownloadError (an OSError): offline with nothing cached; the message names the URL and where to put the
            file by hand.
        ValueError: the archive does not hold FSDD's 3,000 recordings, or differs from the one recorded on the
            first download (nothing broken is cached).

    Example:
        >>> from lamina.datasets import spoken_digits
        >>> (x_train, y_train), (x_test, y_test) = spoken_digits.load_data(sample_rate=16000, duration=1.0)
        >>> x_train.shape, y_train[:3]
        ((2700, 16000), array([0, 0, 0]))
    """
    from lamina.audio.reading import read_clips  # scipy.signal and soundfile load only when audio is read
    from lamina.layers.core import check_positive_int

    sample_rate = check_positive_int("spoken_digits.load_data", "sample_rate", sample_rate)
    if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not duration > 0:
        raise ValueError(f"spoken_digits.load_data: `duration` must be a positive number of seconds, received "
                         f"{duration!r}.")
    length = int(round(sample_rate * duration, 6))  # 0.7 s at 8 kHz is 5600 samples, not 5599
    if length < 1:
        raise ValueError(f"spoken_digits.load_data: duration={duration!r} s at sample_rate={sample_rate} Hz is "
                         f"less than one sample.")
    folder = download(path)
    recordings = sorted(_parse_names(os.listdir(folder))[0].items(),
                        key=lambda item: (item[0][1], item[0][0], item[0][2]))  # speaker, digit, take
    splits = []
    for test in (False, True):
        paths = [os.path.join(folder, name) for (_, _, take), name in recordings if (take < TEST_TAKES) == test]
        waveforms, kept = read_clips(paths, sample_rate, length)  # warns about (and skips) unreadable files
        labels = np.asarray([int(os.path.basename(kept_path)[0]) for kept_path in kept], dtype=np.int64)
        splits.append((waveforms, labels))
    return tuple(splits)


def download(path=None, force_download=False):
    """Downloads and checks FSDD once, and returns the folder of its 3,000 wav files.

    For code that reads the files itself: each name is `{digit}_{speaker}_{take}.wav` (takes 0-4 are the test
    set). The first download records the archive's sha256 next to it; a later download of a different file (with
    `force_download=True`, or after the cached archive was removed or damaged) is refused.

    Args:
        path: the archive's name in the cache folder (default `free-spoken-digit-dataset-1.0.10.tar.gz`).
        force_download: download the archive again even when it is cached (it must match the recorded hash).

    Returns:
        The path of the extracted `recordings` folder, e.g.
        `~/.lamina/datasets/free-spoken-digit-dataset-1.0.10_extracted/free-spoken-digit-dataset-1.0.10/recordings`.

    Raises:
        DownloadError (an OSError): offline with nothing cached.
        ValueError: the archive is not FSDD's (the message says what is wrong; nothing is cached), or its sha256
            differs from the recorded one (the message names both and how to accept the new file).

    Example:
        >>> folder = spoken_digits.download()
        >>> sorted(os.listdir(folder))[:2]
        ['0_george_0.wav', '0_george_1.wav']
    """
    name = os.fspath(path) if path else ARCHIVE
    if not name or os.path.basename(name) != name or name.startswith("."):
        raise ValueError(f"spoken_digits: path={path!r} must be a plain file name in the cache folder, such as "
                         f"'{ARCHIVE}'.")
    url = sources.url(ARCHIVE)
    record_path = os.path.join(downloads.lamina_home(), "datasets", name + RECORD_SUFFIX)
    record = _read_record(record_path)
    try:
        archive = sources.fetch(ARCHIVE, name, file_hash=record and record["sha256"], force_download=force_download)
    except ValueError as error:
        if record is None or record["sha256"] not in str(error):
            raise
        raise ValueError(
            f"{error} The expected sha256 is the one lamina recorded in '{record_path}' when it first downloaded "
            f"the archive ({record.get('recorded', 'date unknown')}); FSDD publishes no hash of its own. If the "
            f"archive was changed on purpose, delete '{record_path}' and call again to accept the new file (its "
            f"recordings are checked again).") from error
    extracted = os.path.join(os.path.dirname(archive), _stem(name) + "_extracted")
    folder = os.path.join(extracted, TOP_FOLDER, "recordings")
    if record is None or force_download or _problem(folder, read_audio=False):
        _extract_and_check(archive, extracted, folder, url)
    if record is None:
        _write_record(record_path, archive, url)
    return folder


def speakers(path=None):
    """The sorted names of FSDD's speakers, as its file names give them (downloading FSDD first if needed).

    Example:
        >>> spoken_digits.speakers()
        ['george', 'jackson', 'lucas', 'nicolas', 'theo', 'yweweler']
    """
    return sorted({speaker for _, speaker, _ in _parse_names(os.listdir(download(path)))[0]})


def _stem(name):
    for suffix in (".tar.gz", ".tgz", ".tar"):
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name.partition(".")[0]


def _parse_names(names):
    """({(digit, speaker, take): name} of the wav files, [wav names that are not FSDD's])."""
    recordings, strange = {}, []
    for name in names:
        if not name.lower().endswith(".wav"):
            continue  # FSDD's recordings folder holds only wav files; anything else is ignored
        match = NAME_PATTERN.fullmatch(name)
        if match and int(match.group(3)) < TAKES:
            recordings[int(match.group(1)), match.group(2), int(match.group(3))] = name
        else:
            strange.append(name)
    return recordings, sorted(strange)


def _problem(folder, read_audio=True):
    """What is wrong with an extracted recordings folder, or None when it holds FSDD's recordings."""
    if not os.path.isdir(folder):
        return f"it has no folder '{os.path.relpath(folder, os.path.dirname(os.path.dirname(folder)))}/'"
    recordings, strange = _parse_names(os.listdir(folder))
    if strange:
        return (f"{len(strange)} wav file(s) are not named {{digit}}_{{speaker}}_{{take 0-{TAKES - 1}}}.wav, e.g. "
                f"{', '.join(strange[:3])}")
    if len(recordings) != RECORDING_COUNT:
        return f"it holds {len(recordings)} recordings, expected {RECORDING_COUNT}"
    for speaker in sorted({speaker for _, speaker, _ in recordings}):
        missing = [f"{digit}_{speaker}_{take}.wav" for digit in range(DIGITS) for take in range(TAKES)
                   if (digit, speaker, take) not in recordings]
        if missing:
            return (f"speaker '{speaker}' lacks {len(missing)} of the {DIGITS * TAKES} recordings (50 of each "
                    f"digit), e.g. {', '.join(missing[:3])}")
    if not read_audio:
        return None
    import soundfile

    wrong = []
    for name in sorted(recordings.values()):
        try:
            info = soundfile.info(os.path.join(folder, name))
        except (soundfile.LibsndfileError, RuntimeError) as error:
            wrong.append(f"{name} is not readable ({str(error).rsplit(': ', 1)[-1].rstrip('.')})")  # not the path
            continue
        if info.samplerate != SAMPLE_RATE or info.channels != 1:
            wrong.append(f"{name} is {info.samplerate} Hz with {info.channels} channel(s)")
    if wrong:
        return (f"{len(wrong)} recording(s) are not readable mono {SAMPLE_RATE} Hz wav files, e.g. "
                f"{'; '.join(wrong[:3])}")
    return None


def _extract_and_check(archive, extracted, folder, url):
    """Extracts the archive into a hidden folder, checks it, and renames it to `extracted`; if the archive is not
    FSDD's, deletes it and the extraction and raises a ValueError."""
    staging = os.path.join(os.path.dirname(extracted), f".{os.path.basename(extracted)}.checking")
    try:
        if not tarfile.is_tarfile(archive):
            problem = "it is not a tar archive (an error page, or a truncated file?)"
        else:
            downloads.extract_archive(archive, staging, archive_format="tar")
            problem = _problem(os.path.join(staging, os.path.relpath(folder, extracted)))
    except (ValueError, tarfile.TarError, EOFError, zlib.error) as error:  # unsafe members, damaged data
        problem = f"it cannot be extracted ({str(error).rstrip('.')})"
    if problem is None:
        if os.path.isdir(extracted):
            shutil.rmtree(extracted)
        os.replace(staging, extracted)
        return
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(extracted, ignore_errors=True)
    os.remove(archive)
    raise ValueError(f"The archive from {url} (cached as '{archive}') is not the Free Spoken Digit Dataset 1.0.10: "
                     f"{problem}. "
                     f"It was deleted and nothing was cached; call again to retry, or check the URL (and a mirror, "
                     f"if you set one).")


def _read_record(record_path):
    """The {'sha256': ..., 'recorded': ...} recorded on the first download, or None."""
    if not os.path.exists(record_path):
        return None
    try:
        with open(record_path, encoding="utf-8") as handle:
            record = json.load(handle)
        if re.fullmatch(r"[0-9a-f]{64}", record["sha256"]):
            return record
    except (ValueError, KeyError, TypeError):
        pass
    raise ValueError(f"'{record_path}' (the sha256 of the FSDD archive, recorded on its first download) is "
                     f"damaged. Delete it and call again to check the archive and record its hash anew.")


def _write_record(record_path, archive, url):
    hasher = hashlib.sha256()
    with open(archive, "rb") as handle:
        for chunk in iter(lambda: handle.read(downloads.CHUNK_BYTES), b""):
            hasher.update(chunk)
    record = {"file": os.path.basename(archive), "url": url, "sha256": hasher.hexdigest(),
              "recorded": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "note": "FSDD publishes no hash: lamina recorded this one on the first download and checks every "
                      "later copy against it. Delete this file to accept a changed archive."}
    partial = os.path.join(os.path.dirname(record_path), f".{os.path.basename(record_path)}.part")
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=2)
        handle.write("\n")
    os.replace(partial, record_path)
