"""The CLV calculator on Spark: the same summary query, fit and scoring as on DuckDB, distributed.

The RFM summary is ``data.features.rfm_sql`` run by Spark; Spark counts customers per distinct
(x, t_x, T) and (x, m), only those counts come to the driver, where the models are fitted exactly as
on DuckDB (``tools.clv.compressed``). The fitted parameters are broadcast and every customer is
scored on the executors by ``tools.clv.api.score_customers`` in ``mapInPandas``; the scores are
written as Parquet (beside the inputs, or at the given path) and read back for the result.
Importing this module does not import pyspark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial

import numpy as np
import pandas as pd

from data.engine.source import SparkSource
from data.errors import ToolError
from data.features import cutoff_text, data_end, rfm_sql
from tools.clv.compressed import CompressedRfm, FittedClv, fit_compressed, snap_sql
from tools.clv.models import ClvRequest, ClvResult
from tools.clv.summary import UNIT_DAYS, RfmSummary, summary_of

SCORE_SCHEMA = (
    "customer_id STRING, frequency DOUBLE, recency DOUBLE, T DOUBLE, monetary_value DOUBLE, "
    "expected_purchases DOUBLE, p_alive DOUBLE, expected_order_value DOUBLE, clv DOUBLE"
)


def spark_clv(source: SparkSource, request: ClvRequest, output: str | None = None) -> ClvResult:
    """Probabilistic (or simple) CLV of every buyer in ``source``; see the module docstring.

    Raises:
        ToolError: contractual CLV asked for (DuckDB only), no buyers, or a model that cannot be fitted.
    """
    from data.engine.session import share
    from tools.clv.api import _result, _simple, fit_grid, fit_report

    if request.method == "contractual":
        raise ToolError("contractual (sBG) CLV runs on the DuckDB engine only: use MKT_ENGINE=duckdb")
    method = "probabilistic" if request.method == "auto" else request.method
    request = request.model_copy(update={"method": method})
    cutoff = request.as_of or data_end(source)
    rfm = source.sql(
        rfm_sql(), cutoff=cutoff_text(cutoff), inactive=False, unit=UNIT_DAYS[request.time_unit]
    ).cache()
    try:
        if method == "simple":
            summary = summary_of(_sorted(rfm.toPandas()), cutoff, request.time_unit)
            return _simple(summary, request).model_copy(update={"engine": "spark"})
        stats = compressed_stats(rfm, fit_grid(request))
        if stats.customers == 0:
            raise ToolError(f"no customer bought anything on or before {cutoff:%Y-%m-%d}: nothing to model")
        fitted = fit_compressed(stats, max_iterations=request.max_iterations)
        path = output or source.output_path("clv")
        score = partial(_score_batches, share(source.session, (fitted, request, stats.mean_repeat_spend)))
        rfm.mapInPandas(score, SCORE_SCHEMA).write.mode("overwrite").parquet(path)
    finally:
        rfm.unpersist()
    rows = _sorted(source.session.read.parquet(path).toPandas())
    summary = _summary(rows, cutoff, request)
    result = _result(
        summary,
        request,
        purchases=rows["expected_purchases"].to_numpy(np.float64),
        alive=rows["p_alive"].to_numpy(np.float64),
        order_value=rows["expected_order_value"].to_numpy(np.float64),
        clv=rows["clv"].to_numpy(np.float64),
        bg=None,
        gg=None,
        notes=[],
    )
    report = fit_report(fitted, stats)
    report["notes"] = [*source.derived, *report["notes"]]  # type: ignore[misc]
    return result.model_copy(update={**report, "engine": "spark", "output": path})


def compressed_stats(rfm: object, grid: float | None = None) -> CompressedRfm:
    """Counts per distinct (x, t_x, T) and, for repeat buyers, per distinct (x, m), counted by Spark.

    With ``grid`` recency and T are first rounded to it (``compressed.snap``, the same expression).
    """
    from pyspark.sql import DataFrame

    assert isinstance(rfm, DataFrame)
    rounded = rfm
    if grid is not None:
        rounded = rfm.selectExpr(
            "frequency", f"{snap_sql('recency', grid)} AS recency", f"{snap_sql('T', grid)} AS T"
        )
    bg = rounded.groupBy("frequency", "recency", "T").count().toPandas()
    gg = rfm.where("frequency > 0").groupBy("frequency", "monetary_value").count().toPandas()
    return CompressedRfm.from_rows(
        bg["frequency"].to_numpy(np.float64),
        bg["recency"].to_numpy(np.float64),
        bg["T"].to_numpy(np.float64),
        bg["count"].to_numpy(np.float64),
        gg["frequency"].to_numpy(np.float64),
        gg["monetary_value"].to_numpy(np.float64),
        gg["count"].to_numpy(np.float64),
    )


def _score_batches(
    shared: Callable[[], tuple[FittedClv, ClvRequest, float]], batches: Iterator[pd.DataFrame]
) -> Iterator[pd.DataFrame]:
    """Executor side: score each batch of RFM rows with the broadcast fit."""
    from tools.clv.api import score_customers

    fitted, request, fallback = shared()
    for batch in batches:
        if batch.empty:
            continue
        arrays = [batch[c].to_numpy(np.float64) for c in ("frequency", "recency", "T", "monetary_value")]
        scores = score_customers(fitted, request, request.time_unit, *arrays, fallback=fallback)
        out = batch[["customer_id", "frequency", "recency", "T", "monetary_value"]].copy()
        for name, values in scores.items():
            out[name] = values
        yield out


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("customer_id", kind="stable").reset_index(drop=True)


def _summary(rows: pd.DataFrame, cutoff: datetime, request: ClvRequest) -> RfmSummary:
    frame = rows.assign(total_amount=np.nan)
    return summary_of(frame, cutoff, request.time_unit)
