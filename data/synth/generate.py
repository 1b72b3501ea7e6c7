"""Seeded synthetic customer data with planted truth: tables, knowledge documents, ``truth/``.

The process is documented in ``data/synth/segments.py`` (segments and their parameters),
``process.py`` (BG/NBD + Gamma-Gamma draws), ``engagement.py`` (campaigns), ``uplift.py`` (tests
with control groups and planted uplift types) and ``churn.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from data.errors import ToolError
from data.synth import documents, products, uplift
from data.synth.churn import churn_features, draw_labels
from data.synth.engagement import default_campaigns, draw_consent, draw_engagements
from data.synth.process import Population, Purchases, draw_population, draw_purchases
from data.synth.segments import CHANNEL_COSTS, DEFAULT_SEGMENTS
from data.synth.truth import SegmentTruth, Truth

DEFAULT_AS_OF = date(2026, 9, 30)
OBSERVATION_WEEKS = 104
WEEK = np.timedelta64(7 * 24 * 3600, "s")
COUNTRIES = np.array(["US", "US", "US", "CA", "GB", "DE", "AU"])
FIRST_NAMES = np.array(
    ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn"]
)
ORDER_CHANNELS = np.array(["web", "web", "app", "store"])


@dataclass(frozen=True)
class GeneratedData:
    """Paths of what ``generate`` wrote, and the truth it planted."""

    tables: dict[str, Path]
    knowledge_dir: Path
    truth_file: Path
    truth: Truth


def generate(
    out_dir: Path,
    n_customers: int,
    seed: int,
    *,
    as_of: date = DEFAULT_AS_OF,
    file_format: str = "csv",
) -> GeneratedData:
    """Write the three tables, knowledge documents and the planted truth under ``out_dir``."""
    if n_customers < 10:
        raise ToolError("generate at least 10 customers")
    if file_format not in ("csv", "parquet"):
        raise ToolError("file format must be csv or parquet")
    rng = np.random.default_rng(seed)
    segments = [s.model_copy(deep=True) for s in DEFAULT_SEGMENTS]
    pop = draw_population(rng, segments, n_customers, OBSERVATION_WEEKS)
    buys = draw_purchases(rng, pop, segments)
    end = np.datetime64(datetime.combine(as_of, time(23, 0)), "s")
    signup = end - (pop.age_weeks * WEEK).astype("timedelta64[s]")
    ids = np.char.add("CU", np.char.zfill(np.arange(1, n_customers + 1).astype(str), 7))
    consent = draw_consent(rng, n_customers)

    catalogue = documents.product_catalogue()
    product_rng = np.random.default_rng([seed, products.PRODUCT_STREAM])
    transactions = _transactions(rng, product_rng, buys, signup, ids, pop, segments, catalogue)
    mean_order = np.array([s.gamma_gamma.p for s in segments])[pop.segment] / pop.spend_rate
    events, variants = draw_engagements(
        rng,
        segments=segments,
        segment=pop.segment,
        age_weeks=pop.age_weeks,
        consent=consent,
        order_value=mean_order,
        costs=CHANNEL_COSTS,
        campaigns=default_campaigns(),
    )
    tenure_days = (end - signup.astype("datetime64[D]")).astype("timedelta64[s]").astype(np.float64) / 86400

    def features_from(engagement_events: pd.DataFrame) -> pd.DataFrame:
        return churn_features(
            n_customers,
            tx_customer=buys.customer,
            tx_days_before=(pop.age_weeks[buys.customer] - buys.weeks) * 7.0,
            tx_amount=buys.amount,
            tenure_days=tenure_days,
            engagements=engagement_events,
        )

    # Holdout campaigns draw from their own stream, so every other planted draw is unchanged.
    uplift_rng = np.random.default_rng([seed, uplift.UPLIFT_STREAM])
    kind = uplift.draw_types(uplift_rng, segments, pop.segment, features_from(events))
    holdout_plans = uplift.default_holdout_campaigns()
    holdout = uplift.draw_holdout_engagements(
        uplift_rng,
        segments=segments,
        segment=pop.segment,
        kind=kind,
        age_weeks=pop.age_weeks,
        consent=consent,
        order_value=mean_order,
        costs=CHANNEL_COSTS,
        campaigns=holdout_plans,
    )
    events = pd.concat([events.assign(test_group=None), holdout], ignore_index=True)
    churned, churn_truth = draw_labels(rng, features_from(events))

    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "email": np.char.add(np.char.lower(ids), "@example.com"),
            "phone": np.char.add("+1555", np.char.zfill(np.arange(n_customers).astype(str), 7)),
            "country": rng.choice(COUNTRIES, size=n_customers),
            "signup_date": pd.Series(signup.astype("datetime64[D]")).dt.date,
            "consent_email": consent["email"],
            "consent_sms": consent["sms"],
            "consent_push": consent["push"],
            "first_name": rng.choice(FIRST_NAMES, size=n_customers),
            "churned": churned,
        }
    )
    engagements = pd.DataFrame(
        {
            "customer_id": ids[events["customer"].to_numpy()],
            "campaign_id": events["campaign_id"],
            "channel": events["channel"],
            "ts": end - (events["weeks_before"].to_numpy() * WEEK).astype("timedelta64[s]"),
            "event": events["event"],
            "cost": events["cost"].round(4),
            "revenue": events["revenue"],
            "variant": events["variant"],
            "test_group": events["test_group"],
        }
    ).sort_values(["ts", "customer_id"], kind="stable")

    for seg_index, seg in enumerate(segments):
        seg.size = int((pop.segment == seg_index).sum())
    uplift_truth, uplift_table = uplift.uplift_truth(segments, pop.segment, kind, ids, holdout_plans)
    truth = Truth(
        seed=seed,
        n_customers=n_customers,
        as_of=as_of,
        observation_weeks=OBSERVATION_WEEKS,
        segments=segments,
        churn=churn_truth,
        channel_costs=CHANNEL_COSTS,
        variants=variants,
        products=products.DEFAULT_PRODUCT_TRUTH,
        uplift=uplift_truth,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = {
        "customers": _write(customers, out_dir / f"customers.{file_format}"),
        "transactions": _write(transactions, out_dir / f"transactions.{file_format}"),
        "engagements": _write(engagements, out_dir / f"engagements.{file_format}"),
    }
    contacted = events[events["test_group"].ne("control")]
    knowledge_dir = _write_knowledge(
        out_dir / "knowledge",
        catalogue,
        contacted.assign(customer_id=ids[contacted["customer"].to_numpy()]),
        pop.segment,
        ids,
        seed,
    )
    truth_file = _write_truth(out_dir / "truth", truth, ids, segments, pop.segment, uplift_table)
    return GeneratedData(tables=tables, knowledge_dir=knowledge_dir, truth_file=truth_file, truth=truth)


def _transactions(
    rng: np.random.Generator,
    product_rng: np.random.Generator,
    buys: Purchases,
    signup: np.ndarray,
    ids: np.ndarray,
    pop: Population,
    segments: list[SegmentTruth],
    catalogue: pd.DataFrame,
) -> pd.DataFrame:
    n = buys.customer.size
    ts = signup[buys.customer] + (buys.weeks * WEEK).astype("timedelta64[s]")
    product_row = products.segment_taste(rng, pop.segment[buys.customer], segments, catalogue)
    week = OBSERVATION_WEEKS - pop.age_weeks[buys.customer] + buys.weeks
    product_row = products.plant_structure(
        product_rng, product_row, buys.customer, week, catalogue, products.DEFAULT_PRODUCT_TRUTH
    )
    return pd.DataFrame(
        {
            "customer_id": ids[buys.customer],
            "ts": ts,
            "amount": buys.amount,
            "order_id": np.char.add("O", np.arange(1, n + 1).astype(str)),
            "product_id": catalogue["product_id"].to_numpy()[product_row],
            "category": catalogue["category"].to_numpy()[product_row],
            "channel": rng.choice(ORDER_CHANNELS, size=n),
        }
    )


def _write(frame: pd.DataFrame, path: Path) -> Path:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    tmp = path.with_suffix(path.suffix + ".tmp")
    if path.suffix == ".parquet":
        pq.write_table(table, tmp)
    else:
        pacsv.write_csv(table, tmp)
    tmp.replace(path)
    return path


def _write_knowledge(
    folder: Path,
    catalogue: pd.DataFrame,
    events: pd.DataFrame,
    segment: np.ndarray,
    ids: np.ndarray,
    seed: int,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "brand_guide.md").write_text(documents.BRAND_GUIDE, encoding="utf-8")
    _write(catalogue, folder / "products.csv")
    _write(documents.past_campaigns(events, catalogue, seed), folder / "campaigns.csv")
    _write(documents.feedback(segment, ids, catalogue, seed), folder / "feedback.csv")
    return folder


def _write_truth(
    folder: Path,
    truth: Truth,
    ids: np.ndarray,
    segments: list[SegmentTruth],
    segment: np.ndarray,
    uplift_table: pd.DataFrame,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    names = np.array([s.name for s in segments])
    _write(pd.DataFrame({"customer_id": ids, "segment": names[segment]}), folder / "membership.csv")
    _write(uplift_table, folder / "uplift.csv")
    path = folder / "truth.json"
    path.write_text(truth.model_dump_json(indent=2), encoding="utf-8")
    return path
