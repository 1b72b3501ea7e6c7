"""Ingestion: heading-aware chunks, idempotent upserts, bad files skipped, a killed ingest resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from data.errors import ToolError
from data.settings import load_settings
from data.synth.generate import GeneratedData
from knowledge.chunking import chunk_markdown
from knowledge.ingest import ingest
from knowledge.retrieval import retrieve
from knowledge.store import KnowledgeStore

REPO = Path(__file__).resolve().parents[1]


def _store(home: Path) -> KnowledgeStore:
    return KnowledgeStore.open(load_settings(home=home))


def _minimal_pdf(path: Path, lines: list[str]) -> Path:
    """A real one-page PDF with a text layer (pypdf reads text from it)."""
    text = " ".join(f"({line}) Tj T*" for line in lines)
    stream = f"BT /F1 12 Tf 14 TL 72 720 Td {text} ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def test_markdown_chunks_follow_headings() -> None:
    long_para = " ".join(["Trail shoes need grip on wet rock."] * 40)
    doc = textwrap.dedent(
        f"""\
        # Guide
        ## Voice
        Warm and plain.

        ## Channel rules
        ### SMS
        At most 160 characters.
        ```
        # not a heading inside code
        ```
        ## Long
        {long_para}

        {long_para}
        """
    )
    chunks = chunk_markdown(doc, max_chars=600)
    paths = [c.metadata.get("heading_path") for c in chunks]
    assert paths[:2] == ["Guide > Voice", "Guide > Channel rules > SMS"]
    assert "# not a heading inside code" in chunks[1].text
    assert chunks[0].text == "Guide > Voice\nWarm and plain."
    long_parts = [c for c in chunks if c.metadata.get("section") == "Long"]
    assert len(long_parts) >= 3
    assert all(len(c.text) <= 600 and c.text.startswith("Guide > Long\n") for c in long_parts)
    assert not any("Warm" in c.text for c in long_parts)  # no chunk spans two sections


def test_ingest_generated_documents_is_idempotent(sample_data: GeneratedData, tmp_path: Path) -> None:
    store = _store(tmp_path / "home")
    first = ingest(store, [sample_data.knowledge_dir])
    by_file = {Path(f.path).name: f for f in first.files}
    assert by_file["brand_guide.md"].collection == "brand"
    assert by_file["products.csv"].chunks == 29
    assert by_file["feedback.csv"].collection == "customers"
    counts = store.counts()
    assert counts["products"] == 29
    assert counts["brand"] == by_file["brand_guide.md"].chunks >= 7

    second = ingest(store, [sample_data.knowledge_dir])
    assert second.added == 0
    assert all(f.unchanged == f.chunks for f in second.files)
    assert store.counts() == counts

    edited = tmp_path / "products.csv"
    text = (sample_data.knowledge_dir / "products.csv").read_text(encoding="utf-8")
    edited.write_text(text.replace("aggressive grip", "sticky rubber grip"), encoding="utf-8")
    third = ingest(store, [edited])
    assert (third.files[0].added, third.files[0].removed) == (1, 1)
    assert store.counts()["products"] == 29
    hit = retrieve(store, "sticky rubber grip trail shoe", "products", k=1).chunks[0]
    assert hit.metadata["product_id"] == "P101" and "sticky rubber" in hit.text


def test_csv_columns_become_filterable_metadata(sample_data: GeneratedData, tmp_path: Path) -> None:
    store = _store(tmp_path / "home")
    ingest(store, [sample_data.knowledge_dir / "products.csv"])
    cheap = retrieve(store, "running gear", "products", k=50, where={"price": {"$lt": 30}})
    assert cheap.chunks and all(c.metadata["price"] < 30 for c in cheap.chunks)
    assert {c.metadata["product_id"] for c in cheap.chunks} == {
        "P207",
        "P208",
        "P303",
        "P305",
        "P401",
        "P402",
        "P404",
    }


def test_bad_files_are_reported_by_name_and_skipped(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "empty_guide.md").write_text("", encoding="utf-8")
    (docs / "latin1_guide.txt").write_bytes("Caf\xe9 au lait".encode("latin-1"))
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (docs / "headings_only.md").write_text("# Title\n## Nothing here\n", encoding="utf-8")
    (docs / "odd_columns.csv").write_text("#id,name\n1,Trail Shell\n", encoding="utf-8")
    (docs / "good_guide.md").write_text("# Voice\nWarm, plain-spoken and encouraging.\n", encoding="utf-8")
    _minimal_pdf(docs / "returns_policy.pdf", ["Returns are free for 60 days.", "Keep the receipt."])
    report = ingest(_store(tmp_path / "home"), [docs], collection="brand")
    skipped = {Path(s.path).name: s.reason for s in report.skipped}
    assert skipped.keys() == {
        "empty_guide.md",
        "latin1_guide.txt",
        "broken.pdf",
        "headings_only.md",
        "odd_columns.csv",
    }
    assert "store refused" in skipped["odd_columns.csv"]
    assert "empty" in skipped["empty_guide.md"]
    assert "UTF-8" in skipped["latin1_guide.txt"]
    assert "PDF" in skipped["broken.pdf"]
    assert sorted(Path(f.path).name for f in report.files) == ["good_guide.md", "returns_policy.pdf"]
    hit = retrieve(_store(tmp_path / "home"), "how long can customers return items", "brand", k=1).chunks[0]
    assert hit.metadata["source"] == "returns_policy.pdf" and hit.metadata["page"] == 1


COMPANY_DOCS = {
    "returns.md": "# Returns\nUnworn shoes can be returned within 60 days for a full refund.\n",
    "sizing.md": "# Sizing\nOur trail shoes run half a size small: order half a size up.\n",
    "stores.md": "# Stores\nVisit us in Lisbon at Rua Augusta 120, open 10:00 to 20:00.\n",
    "loyalty.md": "# Loyalty\nMembers earn 5 points per euro and a free pair at 2,000 points.\n",
}


def test_documents_whose_names_give_no_hint_go_to_docs(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in COMPANY_DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    store = _store(tmp_path / "home")
    report = ingest(store, [folder])
    assert report.skipped == []
    assert {Path(f.path).name: f.collection for f in report.files} == dict.fromkeys(COMPANY_DOCS, "docs")
    questions = {
        "returns.md": "how long do customers have to send shoes back",
        "sizing.md": "should I order a bigger size",
        "stores.md": "where is the shop and when is it open",
        "loyalty.md": "how many points for a free pair",
    }
    for source, question in questions.items():
        hit = retrieve(store, question, "docs", k=1).chunks[0]
        assert hit.metadata["source"] == source, question


def test_ingest_table_shows_each_files_collection(tmp_path: Path) -> None:
    (tmp_path / "returns.md").write_text(COMPANY_DOCS["returns.md"], encoding="utf-8")
    (tmp_path / "brand_guide.md").write_text("# Voice\nWarm, direct, never pushy.\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["knowledge", "ingest", str(tmp_path / "returns.md"), str(tmp_path / "brand_guide.md")]
    )
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 3}
    assert any("returns.md" in k and "docs" in v for k, v in rows.items())
    assert any("brand_guide.md" in k and "brand" in v for k, v in rows.items())


def test_queries_on_missing_or_empty_collections_say_what_to_do(tmp_path: Path) -> None:
    store = _store(tmp_path / "home")
    with pytest.raises(ToolError, match="collection 'brand' does not exist.*mkt knowledge ingest"):
        retrieve(store, "voice", "brand")
    store.writable("products")
    with pytest.raises(ToolError, match="collection 'products' is empty"):
        retrieve(store, "shoes", "products")
    with pytest.raises(ToolError, match="not a valid collection name"):
        retrieve(store, "shoes", "x")


_KILLABLE_INGEST = """
import sys
from pathlib import Path
from data.settings import load_settings
from knowledge.ingest import ingest
from knowledge.store import KnowledgeStore

store = KnowledgeStore.open(load_settings(home=Path(sys.argv[1])))
def committed(done):
    print(f"committed {done}", flush=True)
ingest(store, [Path(sys.argv[2])], "products", batch_size=20, on_commit=committed)
print("finished", flush=True)
"""


def test_killed_ingest_leaves_a_working_store_and_resumes_without_duplicates(tmp_path: Path) -> None:
    rows = 240
    big = tmp_path / "catalogue.csv"
    lines = ["product_id,name,description"] + [
        f"X{i:04d},Item {i},colour {i % 17} size {i % 11} batch {i // 20} of a long running gear catalogue"
        for i in range(rows)
    ]
    big.write_text("\n".join(lines) + "\n", encoding="utf-8")
    home = tmp_path / "home"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    with subprocess.Popen(
        [sys.executable, "-c", _KILLABLE_INGEST, str(home), str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=REPO,
    ) as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("committed"), first
        proc.send_signal(signal.SIGKILL)  # mid-ingest: more batches were still to come
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    store = _store(home)
    partial = store.counts()["products"]
    assert 0 < partial < rows
    report = ingest(store, [big], "products")
    assert report.files[0].added == rows - partial
    ids = store.client.get_collection("products").get(include=[])["ids"]
    assert len(ids) == len(set(ids)) == rows
    last_row = lines[-1].split(",")
    query = f"product_id: {last_row[0]}\nname: {last_row[1]}\ndescription: {last_row[2]}"
    hit = retrieve(store, query, "products", k=1).chunks[0]
    assert hit.metadata["product_id"] == last_row[0] and hit.score > 0.99


def test_cli_ingest_and_search(sample_data: GeneratedData, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["knowledge", "ingest", str(sample_data.knowledge_dir), "--json"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app,
        ["knowledge", "search", "text message with a discount code", "--collection", "campaigns",
         "--where", '{"channel": "sms"}', "-k", "2", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert '"channel": "sms"' in result.output and '"score"' in result.output
    result = runner.invoke(app, ["knowledge", "list", "--json"])
    assert result.exit_code == 0 and '"products": 29' in result.output
    result = runner.invoke(app, ["knowledge", "search", "what is our postal address", "-k", "1"])
    assert result.exit_code == 0 and "brand_guide.md" in result.output  # all collections by default
    empty = tmp_path / "empty_guide.md"
    empty.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["knowledge", "ingest", str(empty)])
    assert (
        result.exit_code == 1
        and "skipped" in result.output
        and "empty_guide.md: file is empty" in result.output
    )
    result = runner.invoke(app, ["knowledge", "search", "shoes", "--collection", "nothing_here"])
    assert result.exit_code == 4
    assert "collection 'nothing_here' does not exist" in result.output
    result = runner.invoke(app, ["knowledge", "search", "shoes", "-c", "products", "--where", "{bad"])
    assert result.exit_code == 4 and "--where is not valid JSON" in result.output
