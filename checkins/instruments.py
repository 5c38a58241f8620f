"""Validated questionnaires: item wording, answer scales and scoring, each with its source.

Only instruments whose item wording and scoring could be confirmed from public sources are
here (see /work/shared/DOMAIN.md, section 3). The Brief Addiction Monitor (BAM) is left out on
purpose: its exact item wording comes from the VA form, which could not be read and checked,
and the issue asks us not to approximate a published instrument.

Scores are never labelled as a diagnosis. Where a published cut-off or convention exists it is
shown together with where it comes from; otherwise only the number and its trend are shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


class InvalidAnswers(ValueError):
    """The answers do not fit the instrument (wrong count or a value off the scale)."""


@dataclass(frozen=True)
class Score:
    key: str
    label: str
    value: float
    minimum: float
    maximum: float
    higher_means: str


@dataclass(frozen=True)
class InstrumentDefinition:
    key: str
    name: str
    short_name: str
    version: str
    citation: str
    source_url: str
    instructions: str
    items: tuple[str, ...]
    options: tuple[tuple[int, str], ...]
    scorer: Callable[[Sequence[int]], list[Score]]
    # Plain-language notes about what the score does and does not mean, with their sources.
    interpretation: tuple[str, ...] = field(default=())
    headline: str = "total"

    @property
    def values(self) -> frozenset[int]:
        return frozenset(value for value, _label in self.options)

    def validate(self, answers: Any) -> list[int]:
        """Return the answers as a list of ints, or raise InvalidAnswers."""
        if not isinstance(answers, list | tuple) or len(answers) != len(self.items):
            raise InvalidAnswers(f"Please answer all {len(self.items)} questions.")
        cleaned = []
        for number, answer in enumerate(answers, start=1):
            if isinstance(answer, bool) or not isinstance(answer, int):
                raise InvalidAnswers(f"Question {number} needs one of the listed answers.")
            if answer not in self.values:
                raise InvalidAnswers(f"Question {number} needs one of the listed answers.")
            cleaned.append(answer)
        return cleaned

    def score(self, answers: Sequence[int]) -> list[Score]:
        return self.scorer(self.validate(list(answers)))


def _ucla3(answers: Sequence[int]) -> list[Score]:
    # Hughes et al. 2004: sum of the three items, each 1-3.
    return [Score("total", "Loneliness score", sum(answers), 3, 9, "lonelier")]


def _barc10(answers: Sequence[int]) -> list[Score]:
    # Vilsaint et al. 2017: sum of ten items, each 1-6.
    return [Score("total", "Recovery capital score", sum(answers), 10, 60, "more recovery capital")]


# Zimet et al. 1988 subscales, by 1-based item number.
MSPSS_SUBSCALES = {
    "significant_other": ("Significant other", (1, 2, 5, 10)),
    "family": ("Family", (3, 4, 8, 11)),
    "friends": ("Friends", (6, 7, 9, 12)),
}


def _mean(values: Sequence[int]) -> float:
    return round(sum(values) / len(values), 2)


def _mspss(answers: Sequence[int]) -> list[Score]:
    # Author's scoring: each subscale is the mean of its 4 items; the total is the mean of all 12.
    scores = [
        Score(
            key,
            label,
            _mean([answers[i - 1] for i in items]),
            1,
            7,
            "more perceived support",
        )
        for key, (label, items) in MSPSS_SUBSCALES.items()
    ]
    scores.insert(0, Score("total", "Total", _mean(answers), 1, 7, "more perceived support"))
    return scores


UCLA3 = InstrumentDefinition(
    key="ucla3",
    name="UCLA 3-item Loneliness Scale",
    short_name="Loneliness (UCLA-3)",
    version="Hughes 2004, 3-item",
    citation=(
        "Hughes ME, Waite LJ, Hawkley LC, Cacioppo JT. A short scale for measuring loneliness "
        "in large surveys: results from two population-based studies. Research on Aging. "
        "2004;26(6):655-672."
    ),
    source_url="https://doi.org/10.1177/0164027504268574",
    instructions="Choose the answer closest to how you have been feeling.",
    items=(
        "How often do you feel that you lack companionship?",
        "How often do you feel left out?",
        "How often do you feel isolated from others?",
    ),
    options=((1, "Hardly ever"), (2, "Some of the time"), (3, "Often")),
    scorer=_ucla3,
    interpretation=(
        "Scores run from 3 to 9; a higher score means feeling lonelier.",
        "The published scale has no official cut-off, so Rat Park shows your score and how it "
        "changes over time rather than a label.",
    ),
)

BARC10 = InstrumentDefinition(
    key="barc10",
    name="Brief Assessment of Recovery Capital (BARC-10)",
    short_name="Recovery capital (BARC-10)",
    version="Vilsaint 2017, 10-item",
    citation=(
        "Vilsaint CL, Kelly JF, Bergman BG, Groshkova T, Best D, White W. Development and "
        "validation of a Brief Assessment of Recovery Capital (BARC-10) for alcohol and drug "
        "use disorder. Drug and Alcohol Dependence. 2017;177:71-76."
    ),
    source_url="https://doi.org/10.1016/j.drugalcdep.2017.03.022",
    instructions=(
        "How much do you agree with each statement? 1 is strongly disagree, 6 is strongly agree."
    ),
    items=(
        "There are more important things to me in life than using substances.",
        "In general I am happy with my life.",
        "I have enough energy to complete the tasks I set myself.",
        "I am proud of the community I live in and feel part of it.",
        "I get lots of support from friends.",
        "I regard my life as challenging and fulfilling without the need for using drugs or "
        "alcohol.",
        "My living space has helped to drive my recovery journey.",
        "I take full responsibility for my actions.",
        "I am happy dealing with a range of professional people.",
        "I am making good progress on my recovery journey.",
    ),
    # Only the end points' wording is confirmed (PhenX protocol 590502); the middle points are
    # shown as numbers rather than invented labels.
    options=(
        (1, "1 – Strongly disagree"),
        (2, "2"),
        (3, "3"),
        (4, "4"),
        (5, "5"),
        (6, "6 – Strongly agree"),
    ),
    scorer=_barc10,
    interpretation=(
        "Scores run from 10 to 60; a higher score means more recovery capital: the strengths "
        "and supports you can draw on.",
        "In the validation study (Vilsaint et al., 2017; 123 people), a score of 47 or more "
        "predicted sustained remission. It is a research finding about a group, not a verdict "
        "about you.",
    ),
)

MSPSS = InstrumentDefinition(
    key="mspss",
    name="Multidimensional Scale of Perceived Social Support (MSPSS)",
    short_name="Perceived support (MSPSS)",
    version="Zimet 1988, 12-item",
    citation=(
        "Zimet GD, Dahlem NW, Zimet SG, Farley GK. The Multidimensional Scale of Perceived "
        "Social Support. Journal of Personality Assessment. 1988;52(1):30-41."
    ),
    source_url="https://doi.org/10.1207/s15327752jpa5201_2",
    instructions=(
        "We are interested in how you feel about the following statements. Read each statement "
        "carefully. Indicate how you feel about each statement."
    ),
    items=(
        "There is a special person who is around when I am in need.",
        "There is a special person with whom I can share my joys and sorrows.",
        "My family really tries to help me.",
        "I get the emotional help and support I need from my family.",
        "I have a special person who is a real source of comfort to me.",
        "My friends really try to help me.",
        "I can count on my friends when things go wrong.",
        "I can talk about my problems with my family.",
        "I have friends with whom I can share my joys and sorrows.",
        "There is a special person in my life who cares about my feelings.",
        "My family is willing to help me make decisions.",
        "I can talk about my problems with my friends.",
    ),
    options=(
        (1, "Very strongly disagree"),
        (2, "Strongly disagree"),
        (3, "Mildly disagree"),
        (4, "Neutral"),
        (5, "Mildly agree"),
        (6, "Strongly agree"),
        (7, "Very strongly agree"),
    ),
    scorer=_mspss,
    interpretation=(
        "Each score is an average from 1 to 7; higher means you feel more supported by that "
        "group of people.",
        "The author notes there are no established population norms, so Rat Park shows the "
        "averages and their trend without labels.",
    ),
)

INSTRUMENTS: dict[str, InstrumentDefinition] = {i.key: i for i in (UCLA3, BARC10, MSPSS)}

# Said on the questionnaire page so the absence is explained, not silent.
LEFT_OUT = (
    "The Brief Addiction Monitor (BAM) is not offered yet: we could not confirm its exact "
    "published item wording, and we will not approximate a validated questionnaire."
)
