"""The synthetic generator: deterministic, loadable, and its planted truth is written out."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from data.loader import load_files
from data.synth.generate import GeneratedData, generate
from data.synth.segments import CHANNEL_COSTS
from data.synth.truth import Truth
from data.workspace import Workspace
from tools.channel.select import TYPICAL_COST


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_files(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", 300, seed=3)
    b = generate(tmp_path / "b", 300, seed=3)
    c = generate(tmp_path / "c", 300, seed=4)
    for table in a.tables:
        assert digest(a.tables[table]) == digest(b.tables[table])
    assert digest(a.tables["transactions"]) != digest(c.tables["transactions"])
    assert digest(a.truth_file) == digest(b.truth_file)


def test_generated_data_passes_validation(sample_data: GeneratedData, isolated_home: Path) -> None:
    rows = load_files(Workspace(isolated_home), sample_data.tables).rows
    assert rows["customers"] == 3000
    assert rows["transactions"] > 3000  # every customer buys at signup, many buy again
    assert rows["engagements"] > 0


def test_truth_file_round_trips_and_matches_membership(sample_data: GeneratedData) -> None:
    truth = Truth.model_validate_json(sample_data.truth_file.read_text())
    assert truth.seed == 11 and truth.n_customers == 3000
    membership = pd.read_csv(sample_data.truth_file.parent / "membership.csv")
    sizes = membership["segment"].value_counts().to_dict()
    assert sizes == {s.name: s.size for s in truth.segments}
    assert sum(s.size for s in truth.segments) == 3000
    assert {s.name for s in truth.segments} >= {"champions", "at risk", "hibernating"}
    assert 0.7 < truth.churn.planted_auc < 1.0


def test_planted_spend_shows_in_the_data(sample_data: GeneratedData) -> None:
    """Mean order value per segment is close to the planted Gamma-Gamma mean p*gamma/(q-1)."""
    truth = Truth.model_validate_json(sample_data.truth_file.read_text())
    tx = pd.read_csv(sample_data.tables["transactions"])
    membership = pd.read_csv(sample_data.truth_file.parent / "membership.csv")
    observed = tx.merge(membership, on="customer_id").groupby("segment")["amount"].mean()
    for seg in truth.segments:
        gg = seg.gamma_gamma
        expected = gg.p * gg.gamma / (gg.q - 1)
        assert abs(observed[seg.name] - expected) / expected < 0.15, seg.name


def test_knowledge_documents_written(sample_data: GeneratedData) -> None:
    folder = sample_data.knowledge_dir
    guide = (folder / "brand_guide.md").read_text()
    assert "## Voice" in guide and "Reply STOP to opt out" in guide
    products = pd.read_csv(folder / "products.csv")
    assert {"product_id", "name", "category", "price"} <= set(products.columns)
    assert (products["price"] > 0).all()
    campaigns = pd.read_csv(folder / "campaigns.csv")
    assert (campaigns["sent"] >= campaigns["conversions"]).all() and len(campaigns) >= 5
    feedback = pd.read_csv(folder / "feedback.csv")
    assert set(feedback["sentiment"]) <= {"positive", "neutral", "negative"}


def test_engagement_funnel_is_consistent(sample_data: GeneratedData) -> None:
    everything = pd.read_csv(sample_data.tables["engagements"])
    control = everything[everything["test_group"].eq("control")]
    # A held-out customer was never contacted: one held_out row, and a conversion if they bought anyway.
    assert set(control["event"]) == {"held_out", "converted"}
    assert control["cost"].sum() == 0.0
    assert not control.duplicated(["customer_id", "campaign_id", "event"]).any()
    eng = everything[everything["test_group"].ne("control")]
    assert "held_out" not in set(eng["event"])
    per = eng.pivot_table(index=["customer_id", "campaign_id"], columns="event", aggfunc="size", fill_value=0)
    assert (per["converted"] <= per["clicked"]).all()
    assert (per["clicked"] <= per["opened"]).all()
    assert (per["opened"] <= per["delivered"]).all()
    assert (per["delivered"] <= per["sent"]).all()
    customers = pd.read_csv(sample_data.tables["customers"])
    sms = eng[(eng["channel"] == "sms") & (eng["event"] == "sent")].merge(customers, on="customer_id")
    assert sms["consent_sms"].all(), "no SMS to a customer without SMS consent"
    assert np.isclose(eng.loc[eng["event"] != "sent", "cost"].sum(), 0.0)


def test_channel_costs_are_realistic_and_are_what_each_send_costs(sample_data: GeneratedData) -> None:
    # The documented figures (data/synth/segments.py): an SMS costs a few cents, an email or a push
    # a fraction of a cent to a cent, a paid social or search click tens of cents or more.
    assert 0.01 <= CHANNEL_COSTS["sms"] <= 0.10
    assert 0.001 <= CHANNEL_COSTS["email"] <= 0.02 and 0.0 <= CHANNEL_COSTS["push"] <= 0.005
    assert CHANNEL_COSTS["push"] <= CHANNEL_COSTS["email"] < CHANNEL_COSTS["sms"] < CHANNEL_COSTS["social"]
    assert 0.3 <= CHANNEL_COSTS["social"] <= 1.2 and 0.5 <= CHANNEL_COSTS["ads"] <= 5.0
    # ... consistent with what the channel selector assumes for a shop without history.
    assert set(CHANNEL_COSTS) == set(TYPICAL_COST)
    for channel, cost in CHANNEL_COSTS.items():
        assert TYPICAL_COST[channel] / 2.5 <= cost <= TYPICAL_COST[channel] * 2.5, channel
    # ... and exactly what every planted send costs in the data.
    eng = pd.read_csv(sample_data.tables["engagements"])
    sent = eng[eng["event"].eq("sent")].groupby("channel")["cost"].agg(["min", "max"])
    assert set(sent.index) == set(CHANNEL_COSTS)
    for channel, row in sent.iterrows():
        assert row["min"] == row["max"] == CHANNEL_COSTS[str(channel)], channel
