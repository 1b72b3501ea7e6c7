"""The segmenter: RFM features -> KMeans segments with names, profiles and RFM tiers."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from data.engine.source import SparkSource
from data.errors import ToolError
from tools.segment.cluster import ClusterFit, fit_clusters
from tools.segment.features import FeatureFrame, build_features, standardise
from tools.segment.models import SegmentParams, SegmentProfile, SegmentReport, TierCount
from tools.segment.naming import name_clusters
from tools.segment.spark import spark_assign
from tools.segment.tiers import TIERS, rfm_tiers


@dataclass(frozen=True)
class Segmentation:
    """The report, the membership frame (customer_id, segment, cluster, RFM scores and tier), features."""

    report: SegmentReport
    membership: pd.DataFrame
    features: FeatureFrame


def segment_customers(
    con: duckdb.DuckDBPyConnection | SparkSource,
    params: SegmentParams | None = None,
    *,
    output: str | None = None,
) -> Segmentation:
    """Segment every customer with at least one purchase up to ``params.as_of``.

    On Spark (``con`` a ``SparkSource``) KMeans is fitted as on DuckDB and every customer is then
    assigned on the executors with the centres broadcast (``tools.segment.spark``); the assignment
    is written as Parquet at ``output`` (default: beside the inputs).

    Raises:
        ToolError: no purchases, a bad attribute, or a fixed k larger than the distinct customers.
    """
    params = params or SegmentParams()
    start = time.perf_counter()
    features = build_features(con, params.as_of, params.attributes)
    fit = fit_clusters(features.matrix, params)
    labels, centers = _drop_empty(fit)
    coords = _naming_coordinates(features, labels, centers.shape[0])
    names = name_clusters(coords)
    engine, path = "duckdb", None
    if isinstance(con, SparkSource):
        assert features.scaling is not None
        rows, path = spark_assign(con, features.as_of, features.scaling, centers, names, output)
        found = rows.set_index("customer_id")["cluster"].reindex(features.raw["customer_id"])
        if found.isna().any():
            raise ToolError("the Spark assignment missed some customers: the inputs changed during the run")
        labels, engine = found.to_numpy(np.int64), "spark"
    raw = features.raw
    tiers = rfm_tiers(
        raw["recency_days"].to_numpy(), raw["purchase_days"].to_numpy(), raw["order_value"].to_numpy()
    )
    name_of = np.array(names, dtype=object)
    membership = pd.DataFrame(
        {"customer_id": raw["customer_id"].to_numpy(), "segment": name_of[labels], "cluster": labels}
    )
    membership = pd.concat([membership, tiers], axis=1)
    profiles = _profiles(features, labels, centers, names)
    n = len(raw)
    counts = tiers["rfm_tier"].value_counts()
    report = SegmentReport(
        run_id=uuid.uuid4().hex[:12],
        as_of=features.as_of,
        n_customers=n,
        k=len(names),
        k_chosen_by=fit.chosen_by,
        silhouette=fit.silhouette,
        features=features.names,
        seed=params.seed,
        segments=sorted(profiles, key=lambda p: -p.size),
        tiers=[
            TierCount(tier=t, size=int(counts.get(t, 0)), share=round(int(counts.get(t, 0)) / n, 4))
            for t in TIERS
        ],
        seconds=round(time.perf_counter() - start, 3),
        engine=engine,
        output=path,
        notes=fit.notes,
    )
    return Segmentation(report=report, membership=membership, features=features)


def _drop_empty(fit: ClusterFit) -> tuple[np.ndarray, np.ndarray]:
    """Remove clusters no customer ended up in (possible with many duplicate profiles)."""
    used = np.unique(fit.labels)
    if used.size == fit.centers.shape[0]:
        return fit.labels, fit.centers
    relabel = np.full(fit.centers.shape[0], -1, dtype=np.int64)
    relabel[used] = np.arange(used.size)
    return relabel[fit.labels], fit.centers[used]


def _naming_coordinates(features: FeatureFrame, labels: np.ndarray, k: int) -> np.ndarray:
    """Per cluster: (recent, frequency, monetary, tenure) mean z-scores."""
    index = {name: i for i, name in enumerate(features.names)}
    tenure = standardise(np.log1p(features.raw["tenure_days"].to_numpy()))
    columns = np.column_stack(
        [
            -features.matrix[:, index["recency"]],
            features.matrix[:, index["frequency"]],
            features.matrix[:, index["monetary"]],
            tenure,
        ]
    )
    sums = np.zeros((k, 4))
    np.add.at(sums, labels, columns)
    sizes = np.bincount(labels, minlength=k).astype(np.float64)
    return sums / np.maximum(sizes, 1.0)[:, None]


def _profiles(
    features: FeatureFrame, labels: np.ndarray, centers: np.ndarray, names: list[str]
) -> list[SegmentProfile]:
    raw = features.raw.assign(_label=labels)
    grouped = raw.groupby("_label", sort=True)
    means = grouped.mean(numeric_only=True)
    medians = grouped[["recency_days", "tenure_days"]].median()
    sizes = grouped.size()
    extra = [n for n in features.names if n not in ("recency", "frequency", "monetary")]
    n = len(raw)
    profiles = []
    for label, name in enumerate(names):
        profiles.append(
            SegmentProfile(
                segment=name,
                cluster=label,
                size=int(sizes[label]),
                share=round(int(sizes[label]) / n, 4),
                recency_days=_num(medians.at[label, "recency_days"]),
                purchase_days=_num(means.at[label, "purchase_days"]),
                purchases_per_month=_num(means.at[label, "purchases_per_month"]),
                order_value=_num(means.at[label, "order_value"]),
                total_spend=_num(means.at[label, "total_spend"]),
                tenure_days=_num(medians.at[label, "tenure_days"]),
                attributes={a: _num(means.at[label, a]) for a in extra},
                centroid={f: round(float(centers[label, i]), 4) for i, f in enumerate(features.names)},
            )
        )
    return profiles


def _num(value: object) -> float:
    number = float(value)  # type: ignore[arg-type]
    return round(number, 4) if np.isfinite(number) else 0.0
