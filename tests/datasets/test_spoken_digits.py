"""spoken_digits (FSDD) against a local HTTP server used as the datasets mirror, with an archive of FSDD's layout
made here: 3,000 tiny 8 kHz wav files (6 speakers x 10 digits x 50 takes) whose samples encode their name. Checks
the download and cache, reading offline, shapes, labels, order and split, resampling, the content checks that
stand in for a published hash, the recorded hash, and the offline error."""
import hashlib
import io
import json
import os
import shutil

import dataset_files
import numpy as np
import pytest
import soundfile

from lamina.audio.reading import fit_length, read_audio
from lamina.datasets import sources, spoken_digits
from lamina.utils.downloads import DownloadError

ARCHIVE = spoken_digits.ARCHIVE
RECORD = ARCHIVE + ".sha256.json"
EXTRACTED = "free-spoken-digit-dataset-1.0.10_extracted"
RECORDINGS = "free-spoken-digit-dataset-1.0.10/recordings/"
SPEAKERS = ["zoe", "amy", "kim", "bob", "lee", "max"]  # listed unsorted: the loader sorts by name


def code(speaker, digit, take):
    """The int16 value every sample of a test recording holds: unique per recording, never 0."""
    return 1 + sorted(SPEAKERS).index(speaker) * 500 + digit * 50 + take


def frames(take):
    """Test recordings last 60 to 109 samples (7.5 to 13.6 ms), so 80 samples pads some and trims others."""
    return 60 + take


def wav(value, count, rate=8000, channels=1):
    buffer = io.BytesIO()
    samples = np.full((count, channels), value, np.int16)
    soundfile.write(buffer, samples, rate, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


def members(offset=0):
    """{member name: bytes} of an FSDD-like archive; `offset` changes every sample (another version)."""
    files = {"free-spoken-digit-dataset-1.0.10/README.md": b"# Free Spoken Digit Dataset (test copy)\n"}
    for speaker in SPEAKERS:
        for digit in range(10):
            for take in range(50):
                files[f"{RECORDINGS}{digit}_{speaker}_{take}.wav"] = wav(code(speaker, digit, take) + offset,
                                                                         frames(take))
    return files


@pytest.fixture(scope="module")
def good_members():
    return members()


@pytest.fixture(scope="module")
def good_archive(good_members):
    return dataset_files.tar_gz_bytes(good_members)


def cache_listing(cache_home):
    """Every file under LAMINA_HOME, hidden ones included, relative to its datasets folder."""
    return sorted(os.path.relpath(os.path.join(folder, name), cache_home / "datasets")
                  for folder, _, names in os.walk(cache_home) for name in names)


def serve(server, data):
    server.files["/" + ARCHIVE] = data


def test_the_table_holds_the_github_archive_without_a_hash(monkeypatch):
    monkeypatch.delenv(sources.MIRROR_VARIABLE, raising=False)
    assert sources.FILES[ARCHIVE] == sources.RemoteFile(
        "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/v1.0.10.tar.gz", None)
    assert sources.url(ARCHIVE) == sources.FILES[ARCHIVE].url
    monkeypatch.setenv(sources.MIRROR_VARIABLE, "https://mirror.example.org/lamina/")
    assert sources.url(ARCHIVE) == f"https://mirror.example.org/lamina/{ARCHIVE}"


def test_first_call_downloads_checks_and_caches_then_works_offline(server, cache_home, good_members, good_archive):
    serve(server, good_archive)
    (x_train, y_train), (x_test, y_test) = first = spoken_digits.load_data(duration=0.01)
    assert [path for path, _ in server.requests] == ["/" + ARCHIVE]
    assert x_train.dtype == x_test.dtype == np.float32 and y_train.dtype == y_test.dtype == np.int64
    assert x_train.shape == (2700, 80) and x_test.shape == (300, 80)
    assert y_train.shape == (2700,) and y_test.shape == (300,)
    # sorted by speaker name, then digit, then take; takes 0-4 are the test set
    expected_train = [(s, d, t) for s in sorted(SPEAKERS) for d in range(10) for t in range(5, 50)]
    expected_test = [(s, d, t) for s in sorted(SPEAKERS) for d in range(10) for t in range(5)]
    for x, y, expected in ((x_train, y_train, expected_train), (x_test, y_test, expected_test)):
        np.testing.assert_array_equal(y, [d for _, d, _ in expected])
        np.testing.assert_array_equal(np.round(x[:, 0] * 32768), [code(*name) for name in expected])
        for row, (_, _, take) in zip(x, expected):  # zero-padded or trimmed at the end to 80 samples
            kept = min(frames(take), 80)
            assert np.all(row[:kept] == row[0]) and np.all(row[kept:] == 0)

    # the cache: the archive as served, its recorded sha256, the checked extraction; nothing hidden left over
    datasets = cache_home / "datasets"
    assert (datasets / ARCHIVE).read_bytes() == good_archive
    record = json.loads((datasets / RECORD).read_text())
    assert record["sha256"] == hashlib.sha256(good_archive).hexdigest()
    assert record["url"] == server.url + ARCHIVE and record["file"] == ARCHIVE and "Delete this file" in record["note"]
    assert cache_listing(cache_home) == sorted([ARCHIVE, RECORD] + [os.path.join(EXTRACTED, name)
                                                                   for name in good_members])

    server.stop()  # offline from here on: the cache is enough
    second = spoken_digits.load_data(duration=0.01)
    for first_part, second_part in zip(first, second):
        for first_array, second_array in zip(first_part, second_part):
            np.testing.assert_array_equal(first_array, second_array)
    folder = spoken_digits.download()
    assert folder == os.path.join(str(datasets), EXTRACTED, RECORDINGS.rstrip("/"))
    assert len(os.listdir(folder)) == 3000
    assert spoken_digits.speakers() == sorted(SPEAKERS)
    assert len(server.requests) == 1


def test_resampling_to_16_khz_gives_the_right_length(server, cache_home, good_archive):
    serve(server, good_archive)
    (x_train, y_train), (x_test, y_test) = spoken_digits.load_data(sample_rate=16000, duration=0.01)
    assert x_train.shape == (2700, 160) and x_test.shape == (300, 160) and x_train.dtype == np.float32
    assert y_train.shape == (2700,) and y_test.shape == (300,)
    folder = spoken_digits.download()
    first_test = os.path.join(folder, f"0_{sorted(SPEAKERS)[0]}_0.wav")  # 60 samples at 8 kHz, 120 at 16 kHz
    np.testing.assert_array_equal(x_test[0], fit_length(read_audio(first_test, 16000)[0], 160))
    np.testing.assert_allclose(x_test[0, 30:90], code(sorted(SPEAKERS)[0], 0, 0) / 32768, rtol=0.02)
    assert np.all(x_test[0, 120:] == 0)


def test_arguments_are_checked_before_downloading(server, cache_home):
    for arguments, message in (({"sample_rate": 0}, "`sample_rate` must be a positive integer"),
                               ({"sample_rate": 8000.0}, "`sample_rate` must be a positive integer"),
                               ({"duration": 0}, "`duration` must be a positive number"),
                               ({"duration": 1e-5}, "less than one sample"),
                               ({"path": "sub/fsdd.tar.gz"}, "must be a plain file name")):
        with pytest.raises(ValueError, match=message):
            spoken_digits.load_data(**arguments)
    assert server.requests == []


def _without(name):
    def change(files):
        del files[RECORDINGS + name]
    return change


def _replaced(old, new, data=None):
    def change(files):
        value = files.pop(RECORDINGS + old)
        files[RECORDINGS + new] = value if data is None else data
    return change


def _other_top_folder(files):
    for name in list(files):
        files[name.replace("free-spoken-digit-dataset-1.0.10/", "free-spoken-digit-dataset-master/")] = \
            files.pop(name)


BROKEN = {
    "one recording missing": (_without("3_amy_7.wav"), "it holds 2999 recordings, expected 3000"),
    "a hole in a speaker's recordings": (_replaced("3_amy_7.wav", "3_ann_7.wav"),
                                         "speaker 'amy' lacks 1 of the 500 recordings .*, e.g. 3_amy_7.wav"),
    "a take beyond 49": (_replaced("3_amy_7.wav", "3_amy_50.wav"), r"1 wav file\(s\) are not named .* 3_amy_50.wav"),
    "a badly named wav": (_replaced("3_amy_7.wav", "three_amy_7.wav"),
                          r"1 wav file\(s\) are not named .*three_amy_7.wav"),
    "a stereo recording": (_replaced("3_amy_7.wav", "3_amy_7.wav", wav(5, 60, channels=2)),
                           r"1 recording\(s\) are not readable mono 8000 Hz wav files, e.g. 3_amy_7.wav is 8000 Hz "
                           r"with 2 channel\(s\)"),
    "a 16 kHz recording": (_replaced("3_amy_7.wav", "3_amy_7.wav", wav(5, 60, rate=16000)),
                           r"1 recording\(s\) are not readable .* 3_amy_7.wav is 16000 Hz with 1 channel\(s\)"),
    "an unreadable recording": (_replaced("3_amy_7.wav", "3_amy_7.wav", b"RIFF but not really a wav file"),
                                r"1 recording\(s\) are not readable .* 3_amy_7.wav is not readable \(Format not "
                                r"recognised\)"),
    "another top folder": (_other_top_folder, "it has no folder 'free-spoken-digit-dataset-1.0.10/recordings/'"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_an_archive_that_is_not_fsdd_is_refused_and_nothing_is_cached(case, server, cache_home, good_members,
                                                                      good_archive):
    change, problem = BROKEN[case]
    files = dict(good_members)
    change(files)
    serve(server, dataset_files.tar_gz_bytes(files))
    target = os.path.join(str(cache_home), "datasets", ARCHIVE)
    with pytest.raises(ValueError, match=rf"^The archive from {server.url}{ARCHIVE} \(cached as '{target}'\) is not "
                                         rf"the Free Spoken Digit Dataset 1.0.10: {problem}.*It was deleted and "
                                         rf"nothing was cached"):
        spoken_digits.load_data(duration=0.01)
    assert cache_listing(cache_home) == []
    serve(server, good_archive)  # the next call starts afresh
    assert len(os.listdir(spoken_digits.download())) == 3000


@pytest.mark.parametrize("case", ["an error page", "a truncated archive", "a member outside the folder"])
def test_a_file_that_cannot_be_extracted_is_refused_and_nothing_is_cached(case, server, cache_home, good_members,
                                                                          good_archive):
    data, problem = {
        "an error page": (b"<html>Not Found</html>", "it is not a tar archive"),
        "a truncated archive": (good_archive[:len(good_archive) // 2], "it cannot be extracted"),
        "a member outside the folder": (dataset_files.tar_gz_bytes({**good_members, "../escaped.wav": b"x"}),
                                        "it cannot be extracted \\(Refusing to extract .*'../escaped.wav'"),
    }[case]
    serve(server, data)
    with pytest.raises(ValueError, match=rf"{ARCHIVE}'\) is not the Free Spoken Digit Dataset 1.0.10: {problem}.*It "
                                         rf"was deleted and nothing was cached"):
        spoken_digits.download()
    assert cache_listing(cache_home) == []
    assert not (cache_home / "escaped.wav").exists() and not (cache_home.parent / "escaped.wav").exists()


def test_a_changed_archive_is_refused_until_its_recorded_hash_is_deleted(server, cache_home, good_archive):
    serve(server, good_archive)
    folder = spoken_digits.download()
    datasets = cache_home / "datasets"
    old_hash, record = hashlib.sha256(good_archive).hexdigest(), (datasets / RECORD).read_bytes()
    listing = cache_listing(cache_home)
    changed = dataset_files.tar_gz_bytes(members(offset=7))  # a valid FSDD layout, other samples
    new_hash = hashlib.sha256(changed).hexdigest()
    serve(server, changed)

    def assert_refused():
        with pytest.raises(ValueError) as error:
            spoken_digits.download(force_download=True)
        message = str(error.value)
        assert f"its sha256 is {new_hash}, expected {old_hash}" in message
        assert f"recorded in '{datasets / RECORD}' when it first downloaded the archive" in message
        assert f"delete '{datasets / RECORD}' and call again to accept the new file" in message

    assert_refused()  # force_download: the cached copy is kept as it was
    assert cache_listing(cache_home) == listing and (datasets / ARCHIVE).read_bytes() == good_archive
    assert (datasets / RECORD).read_bytes() == record
    (datasets / ARCHIVE).unlink()  # a plain re-download after the archive was lost: refused just the same
    assert_refused()
    assert ARCHIVE not in cache_listing(cache_home)

    (datasets / RECORD).unlink()  # accept the new archive: checked, extracted and recorded anew
    assert spoken_digits.download() == folder
    assert json.loads((datasets / RECORD).read_text())["sha256"] == new_hash
    (_, _), (x_test, _) = spoken_digits.load_data(duration=0.01)
    assert round(x_test[0, 0] * 32768) == code(sorted(SPEAKERS)[0], 0, 0) + 7


def test_a_damaged_cache_is_repaired(server, cache_home, good_archive):
    serve(server, good_archive)
    folder = spoken_digits.download()
    datasets = cache_home / "datasets"
    listing = cache_listing(cache_home)
    server.stop()
    shutil.rmtree(datasets / EXTRACTED)  # re-extracted from the cached archive, offline
    assert spoken_digits.download() == folder and cache_listing(cache_home) == listing
    os.remove(os.path.join(folder, "0_amy_0.wav"))  # a lost recording: re-extracted too
    assert spoken_digits.download() == folder and cache_listing(cache_home) == listing
    (datasets / ARCHIVE).write_bytes(good_archive[:1000])  # a damaged archive no longer matches the record
    with pytest.raises(DownloadError, match="does not match that hash"):
        spoken_digits.download()


def test_offline_error_names_the_url_and_where_to_put_the_file(server, cache_home):
    server.stop()  # the mirror's port is now closed
    target = os.path.join(str(cache_home), "datasets", ARCHIVE)
    with pytest.raises(DownloadError) as error:
        spoken_digits.load_data()
    message = str(error.value)
    assert message.startswith(f"Cannot reach {server.url}{ARCHIVE} (")
    assert "are you offline" in message
    assert f"download {server.url}{ARCHIVE} on a machine with internet access and copy it to '{target}', then" \
        in message
    assert cache_listing(cache_home) == []
