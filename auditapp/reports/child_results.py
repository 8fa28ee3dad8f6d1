"""Results counted at the right unit: agency audits, or children (issue 14, "statistics that respect the design").

A question's ``unit`` (in the tool definition) says what one answer is about:

- ``agency_audit``: each agency's audit of its own file. Counted over agency audits, with the Wilson interval
  widened for clustering by child (:func:`auditapp.stats.clustered_proportion`).
- ``child``: one fact or one shared piece of work about the child (the one multi-agency plan, the strategy
  discussion, whether the assessment was on time). Counted once per child, by :func:`child_answer`, with a plain
  Wilson interval over children (:func:`auditapp.stats.proportion`).

The child-level rule, in order: the lead agency's audit's answer when it answered yes or no; else the answer every
agency that answered yes or no gave; else, when they disagree, the child is counted as "agencies disagreed" and
left out of the denominator (the report shows how many). A child whose agencies all answered "not applicable" is
counted as not applicable. Only counted audits (submitted or moderated) take part, so a lead audit still in progress
has not answered. Anyone can apply the rule to the answers export: its ``lead`` column marks the lead audit.

Also here: grade distributions for the tool's grade questions other than the overall grade (the plan-quality grade,
per agency audit) and for the joint discussion's grades (per child). Plain data in, plain data out: no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from auditapp.stats import ClusteredProportion, clustered_proportion, grade_distribution, proportion
from auditapp.tools.model import GRADE, GRADE_OPTIONS, UNIT_AGENCY_AUDIT, UNIT_CHILD, AuditTool, Question

#: The child-level answer when the agencies' yes or no answers differ and the lead gave none.
DISAGREED = "disagreed"
#: The yes or no answers (the others, "not applicable" and blank, meet no standard and fail none).
YES_NO = ("yes", "no")
#: The grades, best first.
GRADES = tuple(value for value, _ in GRADE_OPTIONS)
#: Shown, not counted as a grade question here: the overall grade has its own charts and table.
OVERALL_GRADE = "overall_grade"

#: One counted agency audit of a child: (is it the lead audit, its answers).
Audit = tuple[bool, Mapping[str, str]]
#: The same with the kind of agency whose file it audits (None: unknown), which says which questions it was asked.
AskedAudit = tuple[bool, Mapping[str, str], str | None]


def asked_only(question: Question, audits: Mapping[int, Sequence[AskedAudit]]) -> dict[int, list[Audit]]:
    """The audits of each child that were asked ``question`` (its ``agencies``), and only the children with one.

    A question asked only of some agencies is "not asked" in the others' audits, never "not answered": those
    audits are left out of its count, its denominator and its clustering altogether.
    """
    kept: dict[int, list[Audit]] = {}
    for child, child_audits in audits.items():
        asked = [(lead, answers) for lead, answers, kind in child_audits if question.asked_of(kind)]
        if asked:
            kept[child] = asked
    return kept


def child_answer(answers: Sequence[tuple[bool, str | None]], *, answered: Iterable[str] = YES_NO) -> str | None:
    """The one answer for a child from its agencies' ``(lead, answer)`` pairs (see the module docstring).

    ``answered`` are the values that count as an answer (yes and no; the grades for a grade question). Returns
    that answer, ``DISAGREED`` when the agencies' answers differ and the lead gave none, ``"not_applicable"`` when
    no agency answered but one said not applicable, and None when no agency answered at all.
    """
    counted = set(answered)
    lead = next((value for is_lead, value in answers if is_lead and value in counted), None)
    if lead is not None:
        return lead
    given = {value for _, value in answers if value in counted}
    if len(given) == 1:
        return given.pop()
    if given:
        return DISAGREED
    return "not_applicable" if any(value == "not_applicable" for _, value in answers) else None


def children_proportion(*, k: int, n: int) -> ClusteredProportion:
    """k of n children as a :class:`ClusteredProportion` of one observation per child: the plain Wilson interval
    (:func:`auditapp.stats.proportion`), design effect 1 and effective n = n, so a table can show it beside the
    agency-audit results. Raises ValueError unless 0 <= k <= n."""
    plain = proportion(k=k, n=n)
    return ClusteredProportion(
        k=k,
        n=n,
        clusters=n,
        proportion=plain.proportion,
        interval=plain.interval,
        design_effect=1.0,
        effective_n=float(n),
        small_n=plain.small_n,
    )


@dataclass(frozen=True)
class Counted:
    """A yes/no question counted at its unit: ``result`` has k meeting the standard of n answering (audits, or
    children), ``not_applicable`` counts the same unit, and ``disagreed`` the children left out because their
    agencies disagreed (always 0 for an agency-audit question)."""

    unit: str
    result: ClusteredProportion
    not_applicable: int
    disagreed: int


def count_question(question: Question, audits: Mapping[int, Sequence[Audit]]) -> Counted:
    """Count a yes/no ``question`` over ``audits`` (child -> that child's counted audits) at the question's unit.

    The answer meeting the standard is ``question.meets_standard`` ("yes", or "no" where a yes is a concern).
    """
    meets = question.meets_standard
    if question.unit == UNIT_CHILD:
        values = [child_answer([(lead, given.get(question.id)) for lead, given in child]) for child in audits.values()]
        answered = [v for v in values if v in YES_NO]
        return Counted(
            unit=UNIT_CHILD,
            result=children_proportion(k=sum(1 for v in answered if v == meets), n=len(answered)),
            not_applicable=values.count("not_applicable"),
            disagreed=values.count(DISAGREED),
        )
    per_child: list[tuple[int, int]] = []  # (meeting the standard, answered yes or no) per child
    not_applicable = 0
    for child in audits.values():
        given = [answers.get(question.id) for _, answers in child]
        per_child.append((sum(1 for v in given if v == meets), sum(1 for v in given if v in YES_NO)))
        not_applicable += given.count("not_applicable")
    return Counted(
        unit=UNIT_AGENCY_AUDIT, result=clustered_proportion(per_child), not_applicable=not_applicable, disagreed=0
    )


@dataclass(frozen=True)
class GradeRow:
    """One grade question's distribution: ``counts`` in Ofsted order (every grade, zero when unused) over
    ``graded`` agency audits or children (``unit``), which come from ``children`` children. ``not_graded`` counts
    the audits (or children) that gave no grade, and ``disagreed`` the children whose agencies gave different grades
    when the question is about the child and the lead gave none."""

    question_id: str
    text: str
    unit: str
    counts: dict[str, int]
    graded: int
    children: int
    not_graded: int = 0
    disagreed: int = 0


def agency_grade_rows(tool: AuditTool, audits: Mapping[int, Sequence[AskedAudit]]) -> list[GradeRow]:
    """The distribution of each grade question in ``tool`` but the overall grade (the plan-quality grade), over
    the counted agency audits in ``audits`` (child -> its audits) that were asked it: the auditors' grades, as
    given."""
    rows = []
    for question in tool.questions:
        if question.type != GRADE or question.id == OVERALL_GRADE:
            continue
        asked = asked_only(question, audits)
        by_child = [[(lead, a.get(question.id)) for lead, a in child] for child in asked.values()]
        if question.unit == UNIT_CHILD:  # no shipped tool has one; counted by the child-level rule if one does
            values = [child_answer(child, answered=GRADES) for child in by_child]
            given = [v for v in values if v in GRADES]
            not_graded, disagreed = len(values) - len(given) - values.count(DISAGREED), values.count(DISAGREED)
            rows.append(
                _row(question, UNIT_CHILD, given, children=len(given), not_graded=not_graded, disagreed=disagreed)
            )
            continue
        given = [v for child in by_child for _, v in child if v in GRADES]
        children = sum(1 for child in by_child if any(v in GRADES for _, v in child))
        total = sum(len(child) for child in by_child)
        rows.append(_row(question, UNIT_AGENCY_AUDIT, given, children=children, not_graded=total - len(given)))
    return rows


@dataclass(frozen=True)
class JointGrades:
    """The joint discussion's grades, one per child: each grade question's distribution over the children whose
    joint discussion was completed (``discussed``); ``not_discussed`` children of the sample had none completed."""

    rows: list[GradeRow]
    discussed: int
    not_discussed: int


def joint_grades(joint_tool: AuditTool, answers: Sequence[Mapping[str, str]], *, sampled: int) -> JointGrades:
    """The grade questions of the joint discussion ``joint_tool`` over ``answers`` (one completed discussion per
    child) for a sample of ``sampled`` children."""
    rows = []
    for question in joint_tool.questions:
        if question.type != GRADE:
            continue
        given = [a.get(question.id) for a in answers]
        graded = [v for v in given if v in GRADES]
        rows.append(_row(question, UNIT_CHILD, graded, children=len(graded), not_graded=len(given) - len(graded)))
    return JointGrades(rows=rows, discussed=len(answers), not_discussed=max(0, sampled - len(answers)))


def _row(
    question: Question, unit: str, given: Sequence[str | None], *, children: int, not_graded: int, disagreed: int = 0
) -> GradeRow:
    return GradeRow(
        question_id=question.id,
        text=question.text,
        unit=unit,
        counts=grade_distribution(given),
        graded=len(given),
        children=children,
        not_graded=not_graded,
        disagreed=disagreed,
    )
