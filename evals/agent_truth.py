"""The right answers of the agent eval, computed by code from the workspace (see ``TRUTHS``).

Every value comes from the tools' own pure functions (``tools/``) or SQL on the warehouse, never
from the agent and never typed in; each tool runs at most once per eval (cached). Audience rules
are those the README documents for the planner: high value = top 20% by spend to date, at risk =
P(churn) >= 0.5, a segment audience = the members of the RFM segment of that name (KMeans),
else of the rule-based RFM tier of that name ("loyal" is a tier when no cluster is named so). Feedback is read from the
generated knowledge folder (``<MKT_HOME>/sample/knowledge/feedback.csv``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from evals.agent_facts import Value
from evals.agent_requests import TRUTHS

if TYPE_CHECKING:
    from data.settings import Settings
    from data.workspace import Workspace

_SQL = {
    "customers": "SELECT count(*) FROM customers",
    "buyers": "SELECT count(DISTINCT customer_id) FROM transactions",
    "transactions": "SELECT count(*) FROM transactions",
    "revenue": "SELECT round(sum(amount), 2) FROM transactions",
    "consent_email": "SELECT count_if(consent_email) FROM customers",
    "consent_sms": "SELECT count_if(consent_sms) FROM customers",
    "consent_push": "SELECT count_if(consent_push) FROM customers",
    "customer_orders": "SELECT count(*) FROM transactions WHERE customer_id = ?",
    "customer_spend": "SELECT round(sum(amount), 2) FROM transactions WHERE customer_id = ?",
}
NAN = float("nan")


class WorkspaceTruth:
    """The right values for one workspace (cached per name; each tool runs at most once)."""

    def __init__(self, settings: Settings, workspace: Workspace) -> None:
        self.settings = settings
        self.workspace = workspace
        self._cache: dict[str, Value] = {}
        self._parts: dict[str, Any] = {}

    def value(self, name: str) -> Value:
        """The value of truth ``name`` (NaN, or "", when the workspace cannot give it)."""
        if name not in self._cache:
            base = name.partition(":")[0]
            if base not in TRUTHS:
                raise KeyError(f"unknown truth {name!r}")
            self._cache[name] = self._compute(name)
        return self._cache[name]

    # --- the parts, each computed once ------------------------------------------------------------

    def _part(self, key: str) -> Any:
        if key not in self._parts:
            self._parts[key] = getattr(self, f"_load_{key}")()
        return self._parts[key]

    def _sql(self, query: str, *params: object) -> float:
        with self.workspace.connect(read_only=True) as con:
            row = con.execute(query, list(params)).fetchone()
        return float(row[0]) if row and row[0] is not None else NAN

    def _load_churn(self) -> pd.Series:
        from tools.churn.models import ScoreRequest
        from tools.churn.score import score_churn

        with self.workspace.connect(read_only=True) as con:
            result = score_churn(con, self.workspace, ScoreRequest(method="auto", reasons=0))
        return pd.Series({c.customer_id: c.churn_probability for c in result.customers}, name="churn")

    def _load_clv(self) -> pd.Series:
        from tools.clv.api import calculate_clv
        from tools.clv.models import ClvRequest

        with self.workspace.connect(read_only=True) as con:
            result = calculate_clv(con, ClvRequest(horizon_months=12, method="probabilistic"))
        return pd.Series({c.customer_id: c.clv for c in result.customers}, name="clv")

    def _load_segments(self) -> pd.DataFrame:
        from tools.segment.models import SegmentParams
        from tools.segment.segmenter import segment_customers

        with self.workspace.connect(read_only=True) as con:
            seg = segment_customers(con, SegmentParams(seed=self.settings.seed))
        return seg.membership[["customer_id", "segment", "rfm_tier"]].astype(
            {"segment": str, "rfm_tier": str}
        )

    def members(self, segment: str) -> set[str]:
        """Customers of the RFM segment named ``segment`` (KMeans), else of the RFM tier of that name."""
        seg = self._part("segments")
        column = "segment" if (seg["segment"] == segment).any() else "rfm_tier"
        return set(seg.loc[seg[column] == segment, "customer_id"])

    def _load_history(self) -> pd.DataFrame:
        from data.features import transaction_summary

        with self.workspace.connect(read_only=True) as con:
            history = transaction_summary(con).set_index("customer_id")
            consent = con.execute(
                "SELECT customer_id, consent_email, consent_sms, consent_push FROM customers"
            ).df()
        consent = consent.set_index("customer_id").reindex(history.index).fillna(False).astype(bool)
        return history[["total_amount", "mean_amount"]].join(consent)

    def _load_feedback(self) -> Any:
        from tools.insights import analyse_feedback, read_feedback

        path = self.workspace.sample_dir / "knowledge" / "feedback.csv"
        if not path.exists():
            return None
        return analyse_feedback(read_feedback(path))

    def _load_forecast(self) -> Any:
        from tools.forecast.api import forecast
        from tools.forecast.models import ForecastParams

        with self.workspace.connect(read_only=True) as con:
            return forecast(con, ForecastParams(metrics=["revenue"], by="category", backtest_folds=0))

    def _load_catalogue(self) -> dict[str, str]:
        path = self.workspace.sample_dir / "knowledge" / "products.csv"
        if not path.exists():
            return {}
        frame = pd.read_csv(path)
        return dict(zip(frame["product_id"].astype(str), frame["name"].astype(str), strict=True))

    # --- audiences --------------------------------------------------------------------------------

    def audience(self, spec: str) -> pd.DataFrame:
        """Members, with spend and consent, of an audience spec.

        ``any``, ``at_risk``, ``high_value``, ``at_risk_high_value`` or ``segment=<name>``.
        """
        frame: pd.DataFrame = self._part("history")
        keep = pd.Series(True, index=frame.index)
        if spec.startswith("segment="):
            return frame[frame.index.isin(self.members(spec.removeprefix("segment=")))]
        if "high_value" in spec:
            keep &= frame["total_amount"] >= float(frame["total_amount"].quantile(0.8))
        if "at_risk" in spec:
            churn = self._part("churn").reindex(frame.index)
            keep &= churn >= 0.5
        return frame[keep]

    def _best_channel(self, arg: str) -> str:
        from tools.channel.models import ChannelParams
        from tools.channel.select import choose_channels

        spec, _, chans = arg.partition(":")
        members = self.audience(spec or "any")
        channels = chans.split("+") if chans else ["email", "sms", "push"]
        folder = self.workspace.runs_dir / "agent-eval"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"truth-audience-{spec or 'any'}.parquet"
        pd.DataFrame({"customer_id": members.index, "segment": "audience"}).to_parquet(path, index=False)
        params = ChannelParams(
            channels=channels,
            segments_file=path,
            only_listed=True,
            value=float(members["mean_amount"].mean()),
            seed=self.settings.seed,
        )
        with self.workspace.connect(read_only=True) as con:
            report = choose_channels(con, params)
        seg = next(s for s in report.segments if s.segment == "audience")
        scored = [e for e in seg.channels if e.expected_value is not None]
        return max(scored, key=lambda e: float(e.expected_value or 0.0)).channel if scored else ""

    # --- one truth --------------------------------------------------------------------------------

    def _compute(self, name: str) -> Value:  # noqa: C901 - one branch per truth family, flat
        base, _, arg = name.partition(":")
        if base in _SQL:
            return self._sql(_SQL[base], *([arg] if arg else []))
        if base in ("high_churn_risk", "high_churn_risk_share", "customer_churn"):
            churn = self._part("churn")
            if base == "customer_churn":
                return float(churn.get(arg, NAN))
            high = float((churn >= 0.5).sum())
            return high if base == "high_churn_risk" else round(high / max(len(churn), 1), 4)
        if base in ("mean_clv", "median_clv", "total_clv", "customer_clv"):
            clv = self._part("clv")
            if base == "customer_clv":
                return float(clv.get(arg, NAN))
            return float({"mean_clv": clv.mean, "median_clv": clv.median, "total_clv": clv.sum}[base]())
        if base in ("segments", "segment_size", "largest_segment"):
            sizes = self._part("segments")["segment"].value_counts()
            if base == "segments":
                return float(len(sizes))
            if base == "largest_segment":
                return str(sizes.idxmax())
            return float(len(self.members(arg))) or NAN
        if base.startswith("audience_"):
            return self._audience_truth(base, arg)
        if base == "best_channel":
            return self._best_channel(arg)
        if base == "abtest_winner":
            return self._abtest(arg)
        if base.startswith(("feedback_", "top_")):
            return self._feedback(base)
        if base == "fastest_category":
            report = self._part("forecast")
            best = max(report.series, key=lambda s: s.growth_pct_per_week)
            return str(best.group)
        return self._recommendation(base, arg)

    def _audience_truth(self, base: str, arg: str) -> float:
        if base == "audience_segment":
            return float(len(self.audience(f"segment={arg}"))) or NAN
        if base == "audience_reach":
            spec, _, channel = arg.partition(":")
            return float(self.audience(spec)[f"consent_{channel}"].sum())
        return float(len(self.audience(base.removeprefix("audience_"))))

    def _abtest(self, campaign_id: str) -> str:
        from tools.abtest.api import readout
        from tools.abtest.models import AbTestParams

        with self.workspace.connect(read_only=True) as con:
            result = readout(con, AbTestParams(campaign_id=campaign_id))
        return f"variant {result.winner}" if result.winner else "no clear winner"

    def _feedback(self, base: str) -> Value:
        report = self._part("feedback")
        if report is None:
            return NAN if base.startswith("feedback_") else ""
        overall = report.overall
        if base == "feedback_texts":
            return float(report.texts)
        if base == "feedback_negative_share":
            return float(overall.negative)
        themes = overall.negative_themes if base == "top_complaint_theme" else _positive_themes(report)
        return str(themes[0].phrase) if themes else ""

    def _recommendation(self, base: str, arg: str) -> str:
        from data.features import data_end
        from tools.recommend.api import recommend, segment_offers
        from tools.recommend.matrix import load_history, similarity
        from tools.recommend.models import RecommendParams

        names = self._part("catalogue")
        if base == "next_product":
            with self.workspace.connect(read_only=True) as con:
                rec = recommend(con, RecommendParams(customer_ids=[arg], k=1))
            products = rec.customers[0].products if rec.customers else []
            return names.get(products[0].product_id, products[0].product_id) if products else ""
        membership = pd.DataFrame({"customer_id": sorted(self.members(arg)), "segment": arg})
        with _with_segments(self.workspace.warehouse, membership) as con:
            history = load_history(con, data_end(con) + pd.Timedelta(microseconds=1), 4.0)
            offers = segment_offers(con, history, similarity(history), arg, 1, "score")
        return names.get(offers.products[0].product_id, "") if offers.products else ""


def _positive_themes(report: Any) -> list[Any]:
    """Themes of the whole feedback, most mentioned first (praise dominates the overall themes)."""
    negative = {t.phrase for t in report.overall.negative_themes}
    return [t for t in report.overall.themes if t.phrase not in negative]


class _with_segments:  # noqa: N801 - used as a context manager, reads like a function
    """An in-memory DuckDB over the warehouse (read only) plus a ``segments`` table of ``membership``."""

    def __init__(self, warehouse: Path, membership: pd.DataFrame) -> None:
        self.warehouse, self.membership = warehouse, membership

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        self.con = duckdb.connect()
        self.con.execute(f"ATTACH '{self.warehouse}' AS w (READ_ONLY)")
        for table in ("customers", "transactions", "engagements"):
            self.con.execute(f"CREATE VIEW {table} AS SELECT * FROM w.{table}")
        self.con.register("membership", self.membership)
        self.con.execute("CREATE TABLE segments AS SELECT * FROM membership")
        return self.con

    def __exit__(self, *_exc: object) -> None:
        self.con.close()


def is_missing(value: Value) -> bool:
    """Whether a truth could not be computed (NaN or empty)."""
    return value == "" or (isinstance(value, float) and math.isnan(value))
