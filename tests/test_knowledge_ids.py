"""Chunk ids come from a document's path relative to the ingest root, not its bare name."""

from __future__ import annotations

from pathlib import Path

from data.settings import load_settings
from knowledge.ingest import ingest, source_of
from knowledge.store import KnowledgeStore


def test_source_is_the_path_relative_to_the_folder_it_was_found_in(tmp_path: Path) -> None:
    (tmp_path / "eu").mkdir()
    nested = tmp_path / "eu" / "catalogue.md"
    assert source_of(nested, [tmp_path]) == "eu/catalogue.md"
    assert source_of(tmp_path / "catalogue.md", [tmp_path]) == "catalogue.md"
    assert source_of(nested, [nested]) == "catalogue.md"  # a file given directly: its name


def test_two_files_with_one_name_in_different_folders_keep_their_chunks(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    for region, shoe in (("eu", "Cloudline 2 costs 129 euros."), ("us", "Trailblazer costs 149 dollars.")):
        (docs / region).mkdir(parents=True)
        (docs / region / "product_catalogue.md").write_text(f"# Products\n\n{shoe}\n")
    store = KnowledgeStore.open(load_settings(home=tmp_path / "home"))
    first = ingest(store, [docs], "products")
    assert sorted(f.path for f in first.files) == sorted(str(p) for p in docs.rglob("*.md"))
    assert all(f.removed == 0 for f in first.files)  # before: the second file deleted the first's chunks
    again = ingest(store, [docs], "products")
    assert [f.added for f in again.files] == [0, 0] and [f.removed for f in again.files] == [0, 0]
    stored = store.writable("products").get(include=["metadatas", "documents"])
    assert sorted(m["source"] for m in stored["metadatas"]) == [
        "eu/product_catalogue.md",
        "us/product_catalogue.md",
    ]
