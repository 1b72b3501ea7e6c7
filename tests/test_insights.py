"""Feedback insights: sentiment accuracy on human-labelled text, themes, segments, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from data.errors import DataValidationError, ToolError
from data.synth.generate import GeneratedData
from tools.insights import InsightsParams, analyse_feedback, read_feedback
from tools.insights.sentiment import evaluate_against_human, human_classes

SAMPLE = Path(__file__).parent / "data" / "vader_groundtruth_sample.csv"

# Floors on the 400-row human-labelled sample (100 per source; tests/data/README.md). On the full
# 23,703 texts VADER scores accuracy 0.606, macro-F1 0.562, r 0.540 (tweets: 0.824, 0.702, 0.872).
# Over 20 random stratified 400-row samples: accuracy 0.630 +- 0.022 (min 0.590), macro-F1 min
# 0.547, r min 0.548. This sample: 0.600 / 0.562 / 0.604. Floors sit below every sample seen.
FLOOR_ACCURACY, FLOOR_MACRO_F1, FLOOR_R = 0.55, 0.50, 0.50
FLOOR_TWEETS_ACCURACY, FLOOR_TWEETS_R = 0.70, 0.75


def test_sentiment_agrees_with_human_ratings_on_real_text() -> None:
    sample = pd.read_csv(SAMPLE)
    table = evaluate_against_human(sample).set_index("source")
    overall = table.loc["all"]
    assert overall["texts"] == 400
    assert overall["accuracy"] >= FLOOR_ACCURACY
    assert overall["macro_f1"] >= FLOOR_MACRO_F1
    assert overall["pearson_r"] >= FLOOR_R
    assert table.loc["tweets", "accuracy"] >= FLOOR_TWEETS_ACCURACY
    assert table.loc["tweets", "pearson_r"] >= FLOOR_TWEETS_R
    # Clearly better than always answering the most common human class.
    majority = pd.Series(human_classes(sample["human_mean_sentiment"].to_numpy())).value_counts(
        normalize=True
    )
    assert overall["accuracy"] > majority.iloc[0] + 0.1


@pytest.fixture(scope="module")
def generated_feedback(sample_data: GeneratedData) -> tuple[pd.DataFrame, pd.DataFrame]:
    feedback = read_feedback(sample_data.knowledge_dir / "feedback.csv")
    membership = pd.read_csv(sample_data.truth_file.parent / "membership.csv", dtype=str)
    return feedback, membership


def test_per_segment_sentiment_follows_the_planted_mix(
    generated_feedback: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    feedback, membership = generated_feedback
    report = analyse_feedback(feedback, membership)
    by_name = {s.segment: s for s in report.segments}
    assert set(by_name) == {"champions", "loyal", "at risk", "hibernating", "big spenders"}
    # Planted P(positive): champions 0.75, at risk 0.25; P(negative): at risk 0.50, champions 0.05.
    assert by_name["champions"].positive > by_name["at risk"].positive + 0.2
    assert by_name["at risk"].negative > by_name["champions"].negative + 0.2
    # VADER reads the generator's neutral templates ("is fine") as positive: 0.80 measured here.
    assert report.agreement is not None and report.agreement.accuracy >= 0.75
    assert report.agreement.confusion["positive"]["positive"] >= 0.95 * sum(
        report.agreement.confusion["positive"].values()
    )
    complaints = " ".join(t.phrase for t in by_name["at risk"].negative_themes)
    assert any(word in complaints for word in ("apart", "damaged", "slow", "poor", "late", "sizing"))
    assert sum(s.texts for s in report.segments) == report.texts == len(feedback)


def test_themes_are_frequent_and_not_repeated() -> None:
    texts = [
        "Fast delivery and great fit.",
        "Fast delivery, the jacket is warm.",
        "Really fast delivery this time.",
        "The jacket zipper broke.",
        "Zipper broke after a week, poor quality.",
        "Poor quality zipper.",
        "Great fit, love it.",
    ]
    report = analyse_feedback(pd.DataFrame({"text": texts}), params=InsightsParams(top_themes=4))
    phrases = [t.phrase for t in report.overall.themes]
    assert "fast delivery" in phrases
    assert any("zipper" in p for p in phrases)
    for i, a in enumerate(phrases):
        for b in phrases[i + 1 :]:
            assert f" {a} " not in f" {b} " and f" {b} " not in f" {a} "
    fast = next(t for t in report.overall.themes if t.phrase == "fast delivery")
    assert fast.mentions == 3 and fast.share == pytest.approx(3 / 7, abs=1e-3)
    assert report.segment_source.startswith("single segment")
    assert report.agreement is None


def test_one_text_and_unmatched_customers_give_documented_answers() -> None:
    one = analyse_feedback(pd.DataFrame({"text": ["Terrible, broken on arrival."], "customer_id": ["X"]}))
    assert one.overall.negative == 1.0 and one.overall.themes == []
    membership = pd.DataFrame({"customer_id": ["A"], "segment": ["loyal"]})
    frame = pd.DataFrame({"customer_id": ["A", "B"], "text": ["Great shoes!", "Okay."]})
    report = analyse_feedback(frame, membership)
    assert {s.segment for s in report.segments} == {"loyal", "(no segment)"}
    assert any("without a segment" in n for n in report.notes)
    assert "NaN" not in report.model_dump_json()
    tiny = pd.DataFrame({"source": ["x", "x"], "human_mean_sentiment": [1.0, 1.0], "text": ["good", "bad"]})
    assert evaluate_against_human(tiny)["pearson_r"].tolist() == [0.0, 0.0]
    with pytest.raises(ToolError, match="no feedback text"):
        analyse_feedback(pd.DataFrame({"text": ["", "  "]}))


def test_bad_feedback_files(tmp_path: Path) -> None:
    no_text = tmp_path / "a.csv"
    no_text.write_text("customer_id,comment\nC1,hello\n")
    with pytest.raises(DataValidationError) as err:
        read_feedback(no_text)
    assert err.value.column == "text"
    empty = tmp_path / "b.csv"
    empty.write_text("customer_id,text\nC1,\n")
    with pytest.raises(DataValidationError, match="empty"):
        read_feedback(empty)


def test_cli_insights(sample_data: GeneratedData, tmp_path: Path) -> None:
    runner = CliRunner()
    membership = sample_data.truth_file.parent / "membership.csv"
    plot = tmp_path / "fb.png"
    feedback = str(sample_data.knowledge_dir / "feedback.csv")
    out = runner.invoke(
        app, ["insights", feedback, "--segments", str(membership), "--json", "--plot", str(plot)]
    )
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert len(report["segments"]) == 5 and report["agreement"]["accuracy"] >= 0.75
    assert plot.read_bytes()[:4] == b"\x89PNG"
    table = runner.invoke(app, ["insights", feedback])
    assert table.exit_code == 0 and "agreement with the file's sentiment labels" in table.stdout
    bad = runner.invoke(app, ["insights", str(tmp_path / "missing.csv")])
    assert bad.exit_code == 3 and "file not found" in bad.output
