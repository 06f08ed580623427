"""Fixtures for download tests: a private LAMINA_HOME, a local file server used as the datasets mirror, and a way
to publish test files there with their hashes in lamina's table of dataset files."""
import hashlib

import pytest
from file_server import FileServer

from lamina.datasets import sources
from lamina.utils import downloads


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """An empty LAMINA_HOME for this test; retries without waiting."""
    home = tmp_path / "lamina-home"
    monkeypatch.setenv(downloads.HOME_VARIABLE, str(home))
    monkeypatch.delenv(sources.MIRROR_VARIABLE, raising=False)
    monkeypatch.setattr(downloads, "RETRY_DELAY_SECONDS", 0.0)
    return home


@pytest.fixture
def server(cache_home, monkeypatch):
    """A FileServer on 127.0.0.1, set as LAMINA_DATASETS_MIRROR."""
    file_server = FileServer().start()
    monkeypatch.setenv(sources.MIRROR_VARIABLE, file_server.url)
    yield file_server
    file_server.stop()


@pytest.fixture
def publish(server, monkeypatch):
    """publish({dataset file name: bytes}): serves the files and records their hashes in sources.FILES, with the
    algorithm the real entry uses (md5 or sha256)."""
    def publish_files(files):
        for name, data in files.items():
            server.files["/" + name] = data
            _set_hash(monkeypatch, name, data)
    return publish_files


def _set_hash(monkeypatch, name, data):
    """Points sources.FILES[name]'s hash at `data`'s digest."""
    entry = sources.FILES[name]
    algorithm = "md5" if len(entry.file_hash) == 32 else "sha256"
    monkeypatch.setitem(sources.FILES, name, entry._replace(file_hash=hashlib.new(algorithm, data).hexdigest()))
