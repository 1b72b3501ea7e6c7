"""Segment assignment on Spark: every customer to the nearest broadcast centre, in ``mapInPandas``.

KMeans is fitted on the driver exactly as on DuckDB (same rows, same seed, same centres); the
centres, the feature scaling and the segment names are then broadcast, and the executors compute
each customer's features from the same summary query (``data.features.summary_sql``), scale them
the same way (``Scaling.apply``) and pick the nearest centre. The assignment is written as
Parquet (customer_id, cluster, segment). Importing this module does not import pyspark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from data.engine.source import SparkSource
from data.errors import ToolError
from data.features import spark_summary
from data.sql import ident
from tools.segment.features import Scaling, raw_features

ASSIGN_SCHEMA = "customer_id STRING, cluster BIGINT, segment STRING"
Shared = tuple[Scaling, NDArray[np.float64], list[str]]


def nearest(matrix: NDArray[np.float64], centers: NDArray[np.float64]) -> NDArray[np.int64]:
    """Index of the nearest centre (squared Euclidean distance) for every row."""
    distances = ((matrix[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    return np.asarray(np.argmin(distances, axis=1), dtype=np.int64)


def spark_assign(
    source: SparkSource,
    as_of: datetime,
    scaling: Scaling,
    centers: NDArray[np.float64],
    names: list[str],
    output: str | None = None,
) -> tuple[pd.DataFrame, str]:
    """Assign every buyer in ``source`` on the executors; returns (customer_id, cluster) and the path."""
    from data.engine.session import share

    frame = spark_summary(source, as_of)
    if scaling.fill:
        cols = ", ".join(f"CAST({ident(n)} AS DOUBLE) AS {ident(n)}" for n in scaling.fill)
        extra = source.sql(f"SELECT customer_id, {cols} FROM customers")
        frame = frame.join(extra, on="customer_id", how="left")
    path = output or source.output_path("segments")
    assign = partial(_assign_batches, share(source.session, (scaling, centers, names)))
    frame.mapInPandas(assign, ASSIGN_SCHEMA).write.mode("overwrite").parquet(path)
    rows = source.session.read.parquet(path).select("customer_id", "cluster").toPandas()
    if rows.empty:
        raise ToolError("the Spark assignment returned no customers")
    return rows, path


def _assign_batches(shared: Callable[[], Shared], batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    scaling, centers, names = shared()
    label = np.array(names, dtype=object)
    for batch in batches:
        if batch.empty:
            continue
        raw = raw_features(batch)
        for name in scaling.fill:
            raw[name] = batch[name].to_numpy()
        clusters = nearest(scaling.apply(raw), centers)
        yield pd.DataFrame(
            {"customer_id": raw["customer_id"], "cluster": clusters, "segment": label[clusters]}
        )
