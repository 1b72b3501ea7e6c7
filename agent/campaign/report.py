"""The campaign brief as files: ``brief.json`` and a self-contained ``report.html`` with its plots."""

from __future__ import annotations

import json
from pathlib import Path

from agent.campaign.brief import CampaignBrief
from evals.reports.render import embed_png, render_page


def write_report(brief: CampaignBrief, folder: Path) -> Path:
    """Write ``brief.json`` and ``report.html`` into ``folder`` (atomically); return the HTML path."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "brief.json", json.dumps(brief.model_dump(mode="json"), indent=2, ensure_ascii=False))
    path = folder / "report.html"
    _write(path, render_html(brief))
    return path


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def render_html(brief: CampaignBrief) -> str:
    """The brief as one HTML page (plots embedded, so the file can be mailed or attached).

    Rendered from the shared report templates (``evals/reports/templates/campaign.html``), autoescaped.
    """
    plots = [embed_png(Path(p).stem, Path(p).read_bytes()) for p in brief.plots if Path(p).exists()]
    return render_page("campaign.html", brief=brief, plots=plots)
