"""Customer profiles: built from the workspace analytics, idempotent, and free of email and phone."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from data.loader import load_files
from data.settings import load_settings
from data.synth.generate import GeneratedData, generate
from data.workspace import Workspace
from knowledge.profile_docs import CUSTOMER_KEYS, SEGMENT_KEYS, sync_profiles
from knowledge.profiles import customer_features
from knowledge.retrieval import retrieve
from knowledge.store import KnowledgeStore


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> GeneratedData:
    """250 generated customers: enough segments, quick to embed one profile per customer."""
    return generate(tmp_path_factory.mktemp("small"), 250, seed=3)


@pytest.fixture()
def workspace(small: GeneratedData, isolated_home: Path) -> Workspace:
    ws = Workspace(isolated_home)
    load_files(ws, small.tables)
    return ws


def test_profiles_never_contain_email_or_phone(workspace: Workspace, small: GeneratedData) -> None:
    store = KnowledgeStore.open(load_settings())
    with workspace.connect(read_only=True) as con:
        report = sync_profiles(store, con, per_customer=True)
    assert report.customers == len(pd.read_csv(small.tables["transactions"])["customer_id"].unique())
    stored = store.client.get_collection("customers").get(include=["documents", "metadatas"])
    customers = pd.read_csv(small.tables["customers"])
    blob = "\n".join(stored["documents"] or []) + repr(stored["metadatas"])
    for email, phone in customers[["email", "phone"]].itertuples(index=False):
        assert email not in blob and str(phone) not in blob
    assert "@" not in blob and "+1555" not in blob
    for meta in stored["metadatas"] or []:
        allowed = SEGMENT_KEYS if meta["kind"] == "segment_profile" else CUSTOMER_KEYS
        assert set(meta) <= {*allowed, "source", "chunk"}


def test_segment_profiles_describe_value_churn_channel_and_categories(workspace: Workspace) -> None:
    store = KnowledgeStore.open(load_settings())
    with workspace.connect(read_only=True) as con:
        report = sync_profiles(store, con)
        features = customer_features(con)
    assert report.segments == features["segment"].nunique() >= 4
    champions = retrieve(
        store, "best customers who buy often and spend most", "customers", k=1, segment="champions"
    )
    doc = champions.chunks[0]
    assert doc.metadata["value_band"] == "high" and doc.metadata["churn_risk"] == "low"
    for phrase in ("Value band:", "Churn risk:", "Preferred channel:", "Recent categories:"):
        assert phrase in doc.text
    hibernating = retrieve(store, "lapsed customers", "customers", k=1, where={"segment": "hibernating"})
    assert hibernating.chunks[0].metadata["churn_risk"] == "high"
    # champions bought more recently and spent more than hibernating customers
    by_segment = features.groupby("segment")[["recency_days", "total_amount"]].median()
    assert by_segment.loc["champions", "recency_days"] < by_segment.loc["hibernating", "recency_days"]
    assert by_segment.loc["champions", "total_amount"] > by_segment.loc["hibernating", "total_amount"]


def test_resync_is_idempotent_and_replaces_stale_profiles(workspace: Workspace) -> None:
    store = KnowledgeStore.open(load_settings())
    with workspace.connect(read_only=True) as con:
        first = sync_profiles(store, con)
        again = sync_profiles(store, con)
        assert (again.added, again.removed, again.unchanged) == (0, 0, first.segments)
    with duckdb.connect(str(workspace.warehouse)) as con:  # a segments table, as `mkt segment` writes
        con.execute(
            "create table segments as select customer_id, "
            "case when hash(customer_id) % 2 = 0 then 'trail lovers' else 'road runners' end as segment "
            "from customers"
        )
    with workspace.connect(read_only=True) as con:
        third = sync_profiles(store, con)
    assert third.segments == 2 and third.removed == first.segments and "segments" in third.sources
    names = {m["segment"] for m in store.client.get_collection("customers").get()["metadatas"] or []}
    assert names == {"trail lovers", "road runners"}


def test_planted_segments_file_and_churn_scores_drive_profiles(
    workspace: Workspace, small: GeneratedData, tmp_path: Path
) -> None:
    membership = small.truth_file.parent / "membership.csv"
    churn = tmp_path / "churn.csv"
    pd.DataFrame({"customer_id": pd.read_csv(membership)["customer_id"], "churn_probability": 0.9}).to_csv(
        churn, index=False
    )
    result = CliRunner().invoke(
        app, ["knowledge", "sync-profiles", "--segments", str(membership), "--churn", str(churn), "--json"]
    )
    assert result.exit_code == 0, result.output
    store = KnowledgeStore.open(load_settings())
    metas = store.client.get_collection("customers").get()["metadatas"] or []
    planted = {s.name for s in small.truth.segments if s.size}
    assert {m["segment"] for m in metas} == planted
    assert {m["churn_risk"] for m in metas} == {"high"}


def test_sync_without_customer_data_says_what_to_do(isolated_home: Path) -> None:
    result = CliRunner().invoke(app, ["knowledge", "sync-profiles"])
    assert result.exit_code == 2 and "mkt data load" in result.output
