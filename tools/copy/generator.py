"""The copy generator: candidates per line, assembled in code, checked by the guardrail, then chosen.

1. Ground the offer: the product name (and, when none are given, its facts) from the catalogue.
2. For each creative slot, one candidate per angle in one batched model call (greedy in round
   one, sampled with the earlier failures fed back in later rounds), cleaned and screened.
3. Assemble every candidate into a channel-ready draft and run ``evals.checks.check_copy``.
4. Rank the drafts that pass by brand-voice similarity of their lines (minus soft warnings) and
   keep the best ones that really differ (another angle, other words).
5. Slots the model could not fill get the brand's template line for the angle (said in the notes).
   If nothing passes, the best attempt is returned with ``passed=False`` and its failed checks.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from evals.checks import check_copy
from evals.embedding import CachingEmbedder, Embedder
from evals.metrics.brand_voice import voice_similarity
from evals.metrics.grounding import offer_facts
from evals.metrics.off_topic import topic_references
from evals.metrics.text import own_words
from evals.types import CheckContext, CheckReport, CopyDraft
from tools.chat_model import ChatModel
from tools.copy.candidates import Line, Writer
from tools.copy.compose import CHANNEL_LINES, assemble, language_templates
from tools.copy.grounding import ground_offer
from tools.copy.models import DEFAULT_BUDGET_S, CopyRequest, CopyResult, CopyVariant
from tools.copy.screen import known_words

Checker = Callable[..., CheckReport]
Progress = Callable[[str], None]

RETRY_TEMPERATURE = 0.8
MAX_WORD_OVERLAP = 0.5
MIN_TOPIC_SIMILARITY = 0.2


def check_context(request: CopyRequest) -> CheckContext:
    """What the guardrail checks a variant against: the offer, the catalogue, the brand and the audience."""
    product = next((item for item in request.catalogue if item.name == request.offer.product), None)
    categories = sorted({item.category for item in request.catalogue if item.category})
    return CheckContext(
        offer=request.offer.as_context(),
        brand=request.brand.name,
        postal_address=request.brand.postal_address,
        brand_examples=request.brand.examples,
        catalogue=[item.name for item in request.catalogue] + categories,
        product_description=product.description if product is not None else request.offer.features,
        personalization_fields=request.personalization_fields,
        segment=request.segment.name,
        language=request.language,
    )


@dataclass
class Candidate:
    """One assembled draft: the lines it uses, its parts, the facts it states and its check."""

    lines: dict[str, Line]
    parts: dict[str, str]
    facts_used: dict[str, str]
    report: CheckReport
    score: float = 0.0
    topic: float | None = None

    @property
    def angle(self) -> str:
        """The angle of its first line (lines of one draft share an angle where they can)."""
        return next(iter(self.lines.values())).angle

    @property
    def failures(self) -> list[str]:
        """Screen problems of its lines, then the guardrail's failures."""
        screened = [f"{line.part}: {p}" for line in self.lines.values() for p in line.problems]
        if self.topic is not None and self.topic < MIN_TOPIC_SIMILARITY:
            screened.append(
                f"off-topic: the lines are far from the offer and the product (similarity {self.topic:.2f})"
            )
        return screened + self.report.failures

    @property
    def passed(self) -> bool:
        """No screen problem and every hard check passed."""
        return not self.failures

    def words(self) -> set[str]:
        """The content words of its model-written lines."""
        text = " ".join(line.text for line in self.lines.values()).lower()
        return {w for w in re.findall(r"\w+", text) if len(w) > 3}


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(1, min(len(a), len(b)))


def _distinct(candidate: Candidate, chosen: Sequence[Candidate], new_angle: bool, ignore: set[str]) -> bool:
    for other in chosen:
        if new_angle and other.angle == candidate.angle:
            return False
        same = any(candidate.lines[p].text.lower() == other.lines[p].text.lower() for p in candidate.lines)
        if same or _overlap(candidate.words() - ignore, other.words() - ignore) > MAX_WORD_OVERLAP:
            return False
    return True


def choose(pool: Sequence[Candidate], n: int, ignore: frozenset[str] = frozenset()) -> list[Candidate]:
    """The best ``n`` passing candidates that differ: other angles first, then other words.

    ``ignore``: words that do not make lines differ (the product's and the brand's names).
    """
    ranked = sorted((c for c in pool if c.passed), key=lambda c: -c.score)
    chosen: list[Candidate] = []
    for new_angle in (True, False):
        for candidate in ranked:
            if (
                len(chosen) < n
                and candidate not in chosen
                and _distinct(candidate, chosen, new_angle, set(ignore))
            ):
                chosen.append(candidate)
    return chosen


def _caching(embedder: Embedder | None) -> CachingEmbedder | None:
    if embedder is None or isinstance(embedder, CachingEmbedder):
        return embedder
    return CachingEmbedder(embedder)


class _Run:
    """One request's state: the writer, the checker and every candidate written so far."""

    def __init__(
        self, request: CopyRequest, model: ChatModel, embedder: Embedder | None, checker: Checker
    ) -> None:
        self.request = request
        self.context = check_context(request)
        self.facts = offer_facts(self.context)
        templates = language_templates(request.language)
        names = [request.offer.product, request.brand.name, *(i.name for i in request.catalogue)]
        self.writer = Writer(request, model, self.facts, templates, known_words(names))
        self.embedder = _caching(embedder)
        self.checker = checker
        self.specs = CHANNEL_LINES[request.channel]
        self.pool: list[Candidate] = []
        self.notes: list[str] = []

    def draft(self, lines: dict[str, Line], index: int, siblings: Sequence[CopyDraft] = ()) -> Candidate:
        return self.drafts([lines], index, siblings)[0]

    def drafts(
        self, line_sets: Sequence[dict[str, Line]], index: int = 0, siblings: Sequence[CopyDraft] = ()
    ) -> list[Candidate]:
        """Assemble and check drafts, embedding all their own words in one batch first."""
        built = [assemble(self.request, {p: x.text for p, x in lines.items()}, index) for lines in line_sets]
        drafts = [
            CopyDraft(channel=self.request.channel, parts=parts, language=self.request.language)
            for parts, _ in built
        ]
        if self.embedder is not None:
            self.embedder.prime([own_words(d, self.context) for d in drafts] + topic_references(self.context))
        return [
            Candidate(
                lines,
                parts,
                used,
                self.checker(
                    draft, self.context, embedder=self.embedder, siblings=siblings, facts=self.facts
                ),
            )
            for lines, (parts, used), draft in zip(line_sets, built, drafts, strict=True)
        ]

    def usable(self, part: str) -> list[Line]:
        """The distinct model-written lines of a slot that passed the screen, in earlier rounds."""
        lines = (c.lines[part] for c in self.pool)
        found = {line.text.lower(): line for line in lines if not line.problems and not line.template}
        return list(found.values())

    def round(self, temperature: float, feedback: str | None) -> None:
        """Write one candidate per angle for every slot, then assemble and check each draft.

        In a later round (``feedback`` given), a slot that already has ``variants`` usable lines
        keeps them instead of being written again (an email's subject, when only its opening
        failed), unless every slot has: then the drafts failed as a whole and all are written anew.
        """
        angles = list(self.writer.angles().items())
        earlier = {s.part: self.usable(s.part) if feedback is not None else [] for s in self.specs}
        keep = {part for part, lines in earlier.items() if len(lines) >= self.request.variants}
        if len(keep) == len(self.specs):  # every slot had lines: the drafts failed whole, write anew
            keep = set()
        per_slot = {
            s.part: [earlier[s.part][i % len(earlier[s.part])] for i in range(len(angles))]
            if s.part in keep
            else self.writer.lines(s, angles, temperature, feedback)
            for s in self.specs
        }
        sets = []
        for i in range(len(angles)):
            lines = {part: found[i] for part, found in per_slot.items()}
            # A slot whose line is unusable borrows a usable one of another angle, if there is one.
            for part, line in list(lines.items()):
                if line.problems:
                    usable = [x for x in per_slot[part] if not x.problems]
                    lines[part] = usable[i % len(usable)] if usable else line
            sets.append(lines)
        self.pool.extend(self.drafts(sets))

    def templates(self) -> None:
        """Drafts from the brand's template lines per angle: all slots, and only the unusable ones."""
        for angle in self.writer.angles():
            own = {
                spec.part: [c.lines[spec.part] for c in self.pool if c.lines[spec.part].angle == angle]
                for spec in self.specs
            }
            fixed = {spec.part: self.writer.template_line(spec, angle) for spec in self.specs}
            mixed = {part: next((x for x in own[part] if not x.problems), fixed[part]) for part in fixed}
            self.pool.extend(
                self.drafts([fixed, mixed] if mixed != fixed and len(self.specs) > 1 else [fixed])
            )

    def score(self) -> None:
        """Brand-voice similarity of each candidate's lines, minus 0.05 per soft warning.

        A request for shorter copy also takes off 0.004 per character. With an embedder, lines far
        from the offer (product, its facts, the brand's examples) are marked off-topic.
        """
        examples = self.request.brand.examples
        offer = self.request.offer
        topic = [f"{offer.product}. {offer.features or ''}".strip(), *examples]
        texts = [" ".join(line.text for line in c.lines.values()) for c in self.pool]
        sims = [0.0] * len(texts)
        if self.embedder is not None:
            sims = voice_similarity(texts, examples, self.embedder) if examples else sims
            for candidate, value in zip(
                self.pool, voice_similarity(texts, topic, self.embedder), strict=True
            ):
                candidate.topic = value
        for candidate, sim in zip(self.pool, sims, strict=True):
            template = any(line.template for line in candidate.lines.values())
            length = (
                0.004 * len(" ".join(line.text for line in candidate.lines.values()))
                if self.request.shorter
                else 0.0
            )
            candidate.score = (
                sim - 0.05 * len(candidate.report.warnings) - (0.5 if template else 0.0) - length
            )

    def feedback(self) -> str:
        failed = [c for c in self.pool if not c.passed][-4:]
        return "\n".join(
            f'- "{" / ".join(line.text or line.raw for line in c.lines.values())}": {c.failures[0]}'
            for c in failed
        )


def _variant(index: int, c: Candidate, attempts: int, writer: Writer) -> CopyVariant:
    templated = [p for p, line in c.lines.items() if line.template]
    notes = [f"the {p} is the brand's template line (no model line passed)" for p in templated]
    return CopyVariant(
        index=index,
        parts=c.parts,
        facts_used=c.facts_used,
        passed=c.passed,
        failures=c.failures,
        warnings=[*notes, *c.report.warnings],
        checks=c.report.results,
        attempts=attempts,
        backend=writer.backend,
        model=writer.model_name,
        angle=c.angle,
        score=round(c.score, 4),
        template_parts=templated,
    )


def _time_for_another(request: CopyRequest, started: float, done: int) -> bool:
    """Whether one more round, as long as the mean of the ``done`` so far, ends within the budget."""
    elapsed = time.perf_counter() - started
    return elapsed + elapsed / done <= _budget(request)


def _budget(request: CopyRequest) -> float:
    return request.max_seconds or DEFAULT_BUDGET_S.get(request.channel, max(DEFAULT_BUDGET_S.values()))


def generate_copy(
    request: CopyRequest,
    model: ChatModel,
    *,
    embedder: Embedder | None = None,
    checker: Checker = check_copy,
    progress: Progress | None = None,
) -> CopyResult:
    """Write candidates, check them all, and return the best ``request.variants`` that differ."""
    started = time.perf_counter()
    request = request.model_copy(update={"offer": ground_offer(request.offer, request.catalogue)})
    run = _Run(request, model, embedder, checker)
    rounds = 0
    for rounds in range(1, request.max_attempts + 1):
        if rounds > 1 and not _time_for_another(request, started, rounds - 1):
            run.notes.append(
                f"stopped after {rounds - 1} round(s): another would end past the {_budget(request):.0f} s budget"
            )
            rounds -= 1
            break
        if progress is not None:
            progress(f"{request.channel} candidates, round {rounds}/{request.max_attempts}")
        run.round(0.0 if rounds == 1 else RETRY_TEMPERATURE, run.feedback() if rounds > 1 else None)
        run.score()
        if len(choose(run.pool, request.variants, run.writer.known)) >= request.variants:
            break
    if len(choose(run.pool, request.variants, run.writer.known)) < request.variants:
        run.templates()
        run.score()
    chosen = choose(run.pool, request.variants, run.writer.known)
    notes = list(run.notes)
    if not chosen:
        best = min(run.pool, key=lambda c: (len(c.failures), -c.score))
        chosen = [best]
        notes.append(
            f"no {request.channel} candidate passed every check ({len(run.pool)} tried): the best attempt "
            "is shown with its failed checks; do not send it"
        )
    elif len(chosen) < request.variants:
        notes.append(f"only {len(chosen)} of {request.variants} {request.channel} variants passed and differ")
    # Final drafts: each with its own call to action, checked against all the others for diversity.
    parts = [assemble(request, {p: x.text for p, x in c.lines.items()}, i)[0] for i, c in enumerate(chosen)]
    finals: list[Candidate] = []
    for i, c in enumerate(chosen):
        siblings = [CopyDraft(channel=request.channel, parts=p) for j, p in enumerate(parts) if j != i]
        final = run.draft(c.lines, i, siblings) if c.passed else c
        final.score, final.topic = c.score, c.topic
        finals.append(final if final.passed or not c.passed else c)
    variants = [_variant(i + 1, c, rounds, run.writer) for i, c in enumerate(finals)]
    return CopyResult(
        channel=request.channel,
        language=request.language,
        variants=variants,
        passed=sum(v.passed for v in variants),
        model_calls=run.writer.calls,
        completion_tokens=run.writer.tokens,
        seconds=time.perf_counter() - started,
        requested=request.variants,
        candidates=len(run.pool),
        notes=notes,
    )
