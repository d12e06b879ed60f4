"""Properties of the engine over generated inputs, and its allocation against a brute-force oracle."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cebridge.domain import Completion
from cebridge.domain.engine import evaluate
from tests.unit.engine.factories import done, lic, pack, version

CATS = ["ethics", "cultural_diversity", "clinical", "law"]
PACK = pack(
    version(
        requirements=[
            {"id": "ethics", "title": "Ethics", "categories": ["ethics"], "hours": 4, "source": ["s"]},
            {"id": "cultural", "title": "Cultural", "categories": ["cultural_diversity"], "hours": 3, "source": ["s"]},
            {"id": "law", "title": "Law or ethics", "categories": ["law", "ethics"], "hours": 2, "source": ["s"]},
        ],
        caps=[
            {
                "id": "self",
                "title": "Self-study",
                "match": {"formats": ["self_study"]},
                "max_hours": 6,
                "source": ["s"],
            },
            {
                "id": "share",
                "title": "Unlisted",
                "match": {"flag_false": "listed"},
                "max_fraction": "0.5",
                "source": ["s"],
            },
        ],
    )
)
START = date(2023, 7, 1)


@st.composite
def completion(draw: st.DrawFn, idx: int) -> Completion:
    return done(
        f"c{idx}",
        draw(st.sampled_from(["0.5", "1", "1.25", "2", "3", "6"])),
        on=START + timedelta(days=draw(st.integers(-30, 760))),
        title=f"T{draw(st.integers(0, 6))}",
        categories=draw(st.lists(st.sampled_from(CATS), unique=True, max_size=3)),
        format=draw(st.sampled_from(["live_in_person", "self_study", "live_interactive_webinar"])),
        approvals=draw(st.sampled_from([["APA"], ["NAADAC"], ["NBCC", "APA"]])),
        flags={"listed": draw(st.booleans())},
    )


@st.composite
def completions(draw: st.DrawFn, max_size: int = 8) -> list[Completion]:
    n = draw(st.integers(0, max_size))
    return [draw(completion(i)) for i in range(n)]


@settings(max_examples=150, deadline=None)
@given(completions(), st.randoms(use_true_random=False))
def test_input_order_never_changes_the_result(cs: list[Completion], rnd: object) -> None:
    shuffled = list(cs)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert evaluate(lic(), cs, PACK) == evaluate(lic(), shuffled, PACK)


@settings(max_examples=150, deadline=None)
@given(completions(), completion(99))
def test_adding_a_completion_never_lowers_counted_hours(cs: list[Completion], extra: Completion) -> None:
    before = evaluate(lic(), cs, PACK)
    after = evaluate(lic(), [*cs, extra], PACK)
    # Only the total is monotone: a new earlier completion may take a cap's room from a later one that served
    # a category (chronological caps), or win a duplicate pair, so category shortfalls may move either way.
    assert after.total.counted >= before.total.counted


@settings(max_examples=150, deadline=None)
@given(completions())
def test_caps_hold_and_totals_equal_their_parts(cs: list[Completion]) -> None:
    report = evaluate(lic(), cs, PACK)
    self_study = sum((c.hours_counted for c, src in _pairs(report, cs) if src.format == "self_study"), Decimal(0))
    assert self_study <= 6
    unlisted = sum((c.hours_counted for c, src in _pairs(report, cs) if not src.flags["listed"]), Decimal(0))
    assert unlisted <= 10
    assert report.total.counted == sum((c.hours_counted for c in report.completions), Decimal(0))
    for r in report.requirements:
        assert r.counted == sum((c.allocation.get(r.id, Decimal(0)) for c in report.completions), Decimal(0))
        assert r.short == max(Decimal(0), r.required - r.counted)
    for c in report.completions:
        assert c.hours_counted + c.hours_rejected == c.hours_declared
        assert sum(c.allocation.values(), Decimal(0)) <= c.hours_counted
        assert (c.status == "rejected") == (c.hours_counted == 0)
        if c.status != "accepted":
            assert c.reasons, "every hour not counted carries a reason"
    assert report.compliant == (report.total.short == 0 and all(r.satisfied for r in report.requirements))


def _pairs(report, cs):  # type: ignore[no-untyped-def]
    by_id = {}
    for c in cs:
        by_id.setdefault(c.id, c)
    return [(r, by_id[r.id]) for r in report.completions]


@settings(max_examples=150, deadline=None)
@given(completions(max_size=10))
def test_allocation_minimises_total_shortfall(cs: list[Completion]) -> None:
    """The least total shortfall, by the max-flow min-cut theorem (Gale): the largest, over every set S of
    requirements, of what S needs minus the hours of every completion that can serve S. An oracle that shares
    nothing with the engine's augmenting paths, checked over every subset."""
    report = evaluate(lic(), cs, PACK)
    reqs = [(set(r.categories), r.required) for r in report.requirements]
    src = {c.id: c for c in cs}
    supply = [(c.hours_counted, set(src[c.id].categories)) for c in report.completions if c.hours_counted > 0]
    best = Decimal(0)
    for size in range(1, len(reqs) + 1):
        for subset in itertools.combinations(reqs, size):
            need = sum((h for _, h in subset), Decimal(0))
            cats = set().union(*(c for c, _ in subset))
            can = sum((h for h, served in supply if served & cats), Decimal(0))
            best = max(best, need - can)
    assert sum((r.short for r in report.requirements), Decimal(0)) == best
