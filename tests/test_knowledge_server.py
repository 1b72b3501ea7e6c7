"""The scale-out path: MKT_CHROMA_URL points the knowledge base at a real ``chroma run`` server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from data.errors import ConfigError
from data.settings import load_settings
from data.synth.generate import GeneratedData
from knowledge.ingest import ingest
from knowledge.retrieval import retrieve
from knowledge.store import KnowledgeStore


def _chroma_binary() -> str | None:
    beside_python = Path(sys.executable).with_name("chroma")
    return str(beside_python) if beside_python.exists() else shutil.which("chroma")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = _chroma_binary()
    if binary is None:
        pytest.skip("the `chroma` server binary (installed by the chromadb package) is not on this machine")
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = (data / "server.log").open("w")
    proc = subprocess.Popen(
        [binary, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma server did not start: {(data / 'server.log').read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_ingest_and_search_through_a_chroma_server(
    chroma_url: str, sample_data: GeneratedData, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MKT_CHROMA_URL", chroma_url)
    store = KnowledgeStore.open(load_settings())
    assert store.location == chroma_url
    report = ingest(
        store, [sample_data.knowledge_dir / "products.csv", sample_data.knowledge_dir / "brand_guide.md"]
    )
    assert {f.collection for f in report.files} == {"products", "brand"}
    again = ingest(store, [sample_data.knowledge_dir / "products.csv"])
    assert again.added == 0

    result = CliRunner().invoke(
        app, ["knowledge", "search", "headlamp for night runs", "-c", "products", "-k", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert '"product_id": "P302"' in result.output
    assert not (isolated_home / "chroma").exists()  # nothing went to the embedded store

    fresh = KnowledgeStore.open(load_settings())  # a second client sees the same server data
    assert fresh.counts()["products"] == 29
    hits = retrieve(fresh, "SMS length limit", "brand", k=1)
    assert hits.chunks[0].metadata["section"] == "Channel rules"


def test_unreachable_server_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MKT_CHROMA_URL", f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(ConfigError, match="cannot reach the Chroma server"):
        KnowledgeStore.open(load_settings())
    monkeypatch.setenv("MKT_CHROMA_URL", "localhost:8000")
    with pytest.raises(ConfigError, match="not an http"):
        KnowledgeStore.open(load_settings())
