"""lamina.utils.get_file against a local HTTP server: Keras's arguments and cache layout, sha256 and md5 checks,
re-validation of cached files, a file placed by hand, resuming, HTTP errors, and safe, atomic extraction."""
import hashlib
import io
import os
import re
import tarfile
import zipfile

import dataset_files
import pytest

from lamina.utils import get_file
from lamina.utils.downloads import DownloadError

DATA = bytes(range(256)) * 40
SHA256 = hashlib.sha256(DATA).hexdigest()
MD5 = hashlib.md5(DATA).hexdigest()


def serve(server, name, data=DATA):
    server.files["/" + name] = data
    return server.url + name


def read_bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


def listing(folder):
    return sorted(os.path.relpath(os.path.join(root, name), folder)
                  for root, folders, names in os.walk(folder) for name in names + folders)


def test_file_name_comes_from_the_url_and_lands_in_lamina_home(server, cache_home):
    path = get_file(origin=serve(server, "some/folder/data.bin"), file_hash=SHA256)
    assert path == str(cache_home / "datasets" / "data.bin")
    assert read_bytes(path) == DATA
    assert listing(cache_home) == ["datasets", os.path.join("datasets", "data.bin")]


def test_cache_dir_and_cache_subdir(server, cache_home, tmp_path):
    url = serve(server, "data.bin")
    assert get_file("a.bin", url, cache_dir=tmp_path / "root", cache_subdir="models") == \
        str(tmp_path / "root" / "models" / "a.bin")
    absolute = tmp_path / "elsewhere"
    assert get_file("b.bin", url, cache_subdir=str(absolute)) == str(absolute / "b.bin")
    assert not cache_home.exists()


@pytest.mark.parametrize("arguments", [{"file_hash": SHA256}, {"file_hash": SHA256.upper()}, {"file_hash": MD5},
                                       {"md5_hash": MD5}, {"file_hash": MD5, "hash_algorithm": "md5"},
                                       {"file_hash": SHA256, "hash_algorithm": "sha256"}])
def test_sha256_and_md5_hashes_are_checked(arguments, server, cache_home):
    assert read_bytes(get_file("data.bin", serve(server, "data.bin"), **arguments)) == DATA


def test_a_wrong_md5_is_named_in_the_error(server, cache_home):
    wrong = hashlib.md5(b"other").hexdigest()
    with pytest.raises(ValueError, match=f"its md5 is {MD5}, expected {wrong}"):
        get_file("data.bin", serve(server, "data.bin"), md5_hash=wrong)
    assert listing(cache_home / "datasets") == []


def test_a_cached_file_that_does_not_match_is_downloaded_again(server, cache_home, capsys):
    url = serve(server, "data.bin")
    target = cache_home / "datasets" / "data.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(DATA[:100])
    assert get_file("data.bin", url, file_hash=SHA256) == str(target)
    assert target.read_bytes() == DATA
    assert f"The cached file {target} does not match its sha256 {SHA256}; downloading it again." in \
        capsys.readouterr().err
    assert get_file("data.bin", url, file_hash=SHA256) == str(target)
    assert len(server.requests) == 1


def test_a_cached_file_without_hash_is_reused_and_force_download_replaces_it(server, cache_home):
    url = serve(server, "data.bin")
    path = get_file("data.bin", url)
    server.files["/data.bin"] = b"new version"
    assert read_bytes(get_file("data.bin", url)) == DATA
    assert read_bytes(get_file("data.bin", url, force_download=True)) == b"new version"
    assert len(server.requests) == 2 and listing(os.path.dirname(path)) == ["data.bin"]


def test_offline_a_file_copied_to_the_named_place_is_used(server, cache_home):
    url = serve(server, "data.bin")
    server.stop()
    with pytest.raises(DownloadError) as error:
        get_file("data.bin", url, file_hash=SHA256)
    place = re.search(r"copy it to '([^']+)' \(sha256 ([0-9a-f]+)\)", str(error.value))
    assert place.group(2) == SHA256
    with open(place.group(1), "wb") as handle:
        handle.write(DATA)
    assert get_file("data.bin", url, file_hash=SHA256) == place.group(1)


def test_offline_with_a_wrong_file_in_place_says_so(server, cache_home):
    url = serve(server, "data.bin")
    server.stop()
    (cache_home / "datasets").mkdir(parents=True)
    (cache_home / "datasets" / "data.bin").write_bytes(b"half")
    with pytest.raises(DownloadError, match="does not match that hash: it is incomplete or another version"):
        get_file("data.bin", url, file_hash=SHA256)
    assert (cache_home / "datasets" / "data.bin").read_bytes() == b"half"


def test_http_404_is_a_download_error(server, cache_home):
    with pytest.raises(DownloadError, match=rf"Downloading {server.url}missing.bin failed: HTTP 404 Not Found\. To "
                                            rf"install it by hand"):
        get_file("missing.bin", server.url + "missing.bin")
    assert len(server.requests) == 1 and listing(cache_home / "datasets") == []


def test_a_server_that_ignores_range_restarts_the_file(server, cache_home):
    url = serve(server, "data.bin")
    server.honour_range = False
    (cache_home / "datasets").mkdir(parents=True)
    (cache_home / "datasets" / ".data.bin.part").write_bytes(b"stale bytes")
    assert read_bytes(get_file("data.bin", url, file_hash=SHA256)) == DATA
    assert server.requests == [("/data.bin", "bytes=11-")]
    assert listing(cache_home / "datasets") == ["data.bin"]


def test_a_partial_file_longer_than_the_file_starts_over(server, cache_home):
    url = serve(server, "data.bin")
    (cache_home / "datasets").mkdir(parents=True)
    (cache_home / "datasets" / ".data.bin.part").write_bytes(DATA + b"extra")
    assert read_bytes(get_file("data.bin", url, file_hash=SHA256)) == DATA
    assert server.requests == [("/data.bin", f"bytes={len(DATA) + 5}-"), ("/data.bin", None)]


@pytest.mark.parametrize("arguments, message", [
    ({"fname": "x.bin"}, "get_file: origin is missing"),
    ({"fname": "a/x.bin", "origin": "http://127.0.0.1:9/x.bin"}, r"fname='a/x.bin' contains a folder"),
    ({"origin": "http://127.0.0.1:9/"}, "cannot take a file name from origin"),
    ({"fname": "x", "origin": "http://127.0.0.1:9/x", "file_hash": "abc"}, "has 3 characters; expected a sha256"),
    ({"fname": "x", "origin": "http://127.0.0.1:9/x", "file_hash": MD5, "hash_algorithm": "sha1"},
     r"Invalid hash_algorithm='sha1'. Did you mean 'sha256'\? Expected one of: 'auto', 'sha256', 'md5'"),
])
def test_bad_arguments(arguments, message, cache_home):
    with pytest.raises(ValueError, match=message):
        get_file(**arguments)


ARCHIVE_MEMBERS = {"pack/readme.txt": b"hello", "pack/data/values.bin": DATA}


def zip_bytes(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def assert_extracted(folder):
    assert listing(folder) == ["pack", os.path.join("pack", "data"), os.path.join("pack", "data", "values.bin"),
                               os.path.join("pack", "readme.txt")]
    assert read_bytes(os.path.join(folder, "pack", "data", "values.bin")) == DATA


@pytest.mark.parametrize("fname, arguments, folder, archive", [
    ("pack.tar.gz", {"extract": True}, "pack_extracted", "pack.tar.gz"),
    ("pack", {"extract": True}, "pack", "pack_archive"),
    ("pack", {"untar": True}, "pack", "pack_archive"),
    ("pack.tar.gz", {"extract": True, "archive_format": "tar"}, "pack_extracted", "pack.tar.gz"),
])
def test_tar_extraction_uses_keras_names(fname, arguments, folder, archive, server, cache_home):
    data = dataset_files.tar_gz_bytes(ARCHIVE_MEMBERS)
    url = serve(server, "pack.tar.gz", data)
    path = get_file(fname, url, file_hash=hashlib.sha256(data).hexdigest(), **arguments)
    assert path == str(cache_home / "datasets" / folder)
    assert_extracted(path)
    assert (cache_home / "datasets" / archive).read_bytes() == data
    assert sorted(os.listdir(cache_home / "datasets")) == sorted([folder, archive])
    (cache_home / "datasets" / folder / "marker").write_bytes(b"")
    server.stop()
    assert get_file(fname, url, file_hash=hashlib.sha256(data).hexdigest(), **arguments) == path
    assert os.path.exists(os.path.join(path, "marker"))  # an existing extraction is not redone


def test_zip_extraction(server, cache_home):
    path = get_file("pack.zip", serve(server, "pack.zip", zip_bytes(ARCHIVE_MEMBERS)), extract=True)
    assert path == str(cache_home / "datasets" / "pack_extracted")
    assert_extracted(path)


def test_extracting_something_that_is_not_an_archive_is_an_error(server, cache_home):
    with pytest.raises(ValueError, match=r"it is not a tar or zip archive \(archive_format='auto'\)"):
        get_file("data.bin", serve(server, "data.bin"), extract=True)
    with pytest.raises(ValueError, match=r"it is not a zip archive \(archive_format='zip'\)"):
        get_file("pack.tar.gz", serve(server, "pack.tar.gz", dataset_files.tar_gz_bytes(ARCHIVE_MEMBERS)),
                 extract=True, archive_format="zip")


def tar_with(*members):
    """A .tar.gz from TarInfo-making (name, type, linkname) triples; regular files hold b'x'."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, kind, linkname in members:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, linkname
            if kind == tarfile.REGTYPE:
                info.size = 1
                archive.addfile(info, io.BytesIO(b"x"))
            else:
                archive.addfile(info)
    return buffer.getvalue()


ESCAPES = [
    (tar_with(("ok.txt", tarfile.REGTYPE, ""), ("../escaped.txt", tarfile.REGTYPE, "")), "../escaped.txt",
     "would be written outside the extraction folder"),
    (tar_with(("/tmp/absolute.txt", tarfile.REGTYPE, "")), "/tmp/absolute.txt", "would be written outside"),
    (tar_with(("link", tarfile.SYMTYPE, "../../outside")), "link", "links to '../../outside', outside the"),
    (tar_with(("hard", tarfile.LNKTYPE, "../outside")), "hard", "links to '../outside', outside the"),
    (tar_with(("fifo", tarfile.FIFOTYPE, "")), "fifo", "is a device or other special file"),
    (tar_with(("here", tarfile.SYMTYPE, "."), ("up", tarfile.SYMTYPE, "here/.."), ("up/escaped.txt",
                                                                                   tarfile.REGTYPE, "")),
     "up", "was refused"),
    (zip_bytes({"../escaped.txt": b"x"}), "../escaped.txt", "would be written outside"),
]


@pytest.mark.parametrize("archive, member, problem", ESCAPES,
                         ids=["dot-dot", "absolute", "symlink", "hard-link", "fifo", "symlink-chain", "zip-dot-dot"])
def test_members_escaping_the_folder_are_refused(archive, member, problem, server, cache_home):
    with pytest.raises(ValueError, match=f"Refusing to extract '.*': its member '{re.escape(member)}' "
                                         f"{re.escape(problem)}"):
        get_file("evil.tar.gz", serve(server, "evil.tar.gz", archive), extract=True)
    assert listing(cache_home) == ["datasets", os.path.join("datasets", "evil.tar.gz")]


def test_an_archive_downloaded_again_is_extracted_again(server, cache_home):
    data = dataset_files.tar_gz_bytes(ARCHIVE_MEMBERS)
    url = serve(server, "pack.tar.gz", data)
    old = cache_home / "datasets" / "pack_extracted"
    old.mkdir(parents=True)
    (old / "stale.txt").write_bytes(b"from an older version")
    (cache_home / "datasets" / "pack.tar.gz").write_bytes(b"an older, damaged archive")
    assert get_file("pack.tar.gz", url, file_hash=hashlib.sha256(data).hexdigest(), extract=True) == str(old)
    assert_extracted(old)
    assert sorted(os.listdir(cache_home / "datasets")) == ["pack.tar.gz", "pack_extracted"]
