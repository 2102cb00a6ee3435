"""What generators take and give. Plain data: no Django models, so generators can be run and
benchmarked on any text."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Passage:
    """A chunk of course material a question may be drawn from (and will cite)."""

    chunk_id: int
    material_id: int
    material_title: str
    page: int | None
    section: str
    text: str


@dataclass(frozen=True)
class GenerationSpec:
    """What the teacher asked for. ``kinds`` are quizzes.Question.Kind values; ``difficulty`` is
    easy | medium | hard | mixed."""

    count: int
    kinds: tuple[str, ...]
    difficulty: str = "medium"
    topic: str = ""
    objectives: tuple[str, ...] = ()


@dataclass
class Candidate:
    """A question a generator proposes, in quizzes.content's shape.

    ``options``: [{"text", "correct", "feedback"}] for single/multiple/true_false (true/false
    questions have the options "True" and "False"); ``answer``: {"accepted": [...]} for
    short_answer/fill_blank, {"value", "tolerance", "unit"} for numeric. ``evidence`` is the
    sentence(s) of the passage that support the key, quoted exactly."""

    kind: str
    stem: str
    chunk_id: int
    options: list[dict[str, Any]] = field(default_factory=list)
    answer: dict[str, Any] = field(default_factory=dict)
    explanation: str = ""
    evidence: str = ""
    difficulty: str = "medium"
    topic: str = ""
    objective: str = ""
    # How the question asks (offline generator: cloze, definition, true_statement,
    # cause_effect, true_false, multiple_answer, numeric); not stored, ``offline.style_of``
    # reads it back from a stem.
    style: str = ""


@dataclass
class Rejection:
    """A candidate turned away, and why (a sentence a teacher can read)."""

    reason: str
    stem: str = ""


@dataclass
class Batch:
    """One generator call's output: candidates still to be checked, what it already rejected
    (e.g. malformed model output), and the provider's token usage."""

    candidates: list[Candidate] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    notes: list[str] = field(default_factory=list)


# The content gate a caller may give a generator: a candidate → None, or why its content would
# be refused (quizzes passes quizzes.content's; ai itself knows no question model).
ContentCheck = Callable[[Candidate], "str | None"]


class Generator(Protocol):
    """What the offline and the language-model generators share: ``name`` (recorded on the
    questions) and ``generate``. Deterministic for the offline one; the model's raises
    ai.llm.LLMError when the provider fails."""

    name: str

    def generate(
        self,
        spec: GenerationSpec,
        passages: list[Passage],
        *,
        want: int,
        kinds: Sequence[str],
        exclude_evidence: Iterable[str] = ...,
    ) -> Batch: ...
