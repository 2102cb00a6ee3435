"""The generation job's resumable position, typed: ``GenerationCursor`` is what the job's
``cursor`` JSON column holds between slices.

The JSON keeps the keys (and shapes) the job has always stored, so a job running across a deploy
resumes where it was: ``plan`` (the passages, in the order used), ``first`` (passages to draw from
first, e.g. a regenerated question's), ``used`` (passages done), ``made`` (questions made per
kind), ``evidence`` (sentences already asked about), ``offline`` (the language model failed: the
offline generator goes on), ``replacement`` (the new question of a regenerate job) and ``lease``
(``{"token", "until"}``: which worker runs the job now, until when). Keys this version does not
know are kept as they are."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

KNOWN_KEYS = ("plan", "first", "used", "made", "evidence", "offline", "replacement", "lease")


def stall_seconds() -> int:
    """How long a job may go without a heartbeat before it counts as stalled (and its lease as
    expired)."""
    return int(settings.INGEST_STALL_SECONDS)


@dataclass(frozen=True)
class Lease:
    """One worker's claim on a job: ``token`` names the slice, ``until`` (a time.time()) is when
    another worker may take the job over."""

    token: str
    until: float

    @classmethod
    def fresh(cls, token: str) -> Lease:
        return cls(token=token, until=time.time() + stall_seconds())

    @property
    def active(self) -> bool:
        return self.until > time.time()


@dataclass
class GenerationCursor:
    plan: list[int] | None = None
    first: list[int] = field(default_factory=list)
    used: list[int] = field(default_factory=list)
    made: dict[str, int] = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)
    offline: bool = False
    replacement: int | None = None
    lease: Lease | None = None
    # Keys of another version, carried through unchanged.
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> GenerationCursor:
        """The cursor stored as ``data`` (the column's JSON; None or {} for a new job)."""
        data = dict(data or {})
        lease = data.get("lease")
        plan = data.get("plan")
        replacement = data.get("replacement")
        return cls(
            plan=None if plan is None else [int(i) for i in plan],
            first=[int(i) for i in data.get("first") or []],
            used=[int(i) for i in data.get("used") or []],
            made={str(k): int(v) for k, v in (data.get("made") or {}).items()},
            evidence=[str(e) for e in data.get("evidence") or []],
            offline=bool(data.get("offline")),
            replacement=None if replacement is None else int(replacement),
            lease=(
                Lease(token=str(lease.get("token", "")), until=float(lease.get("until", 0)))
                if isinstance(lease, dict) and lease
                else None
            ),
            extra={k: v for k, v in data.items() if k not in KNOWN_KEYS},
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON stored on the job: only the keys that hold something, as before."""
        data: dict[str, Any] = dict(self.extra)
        if self.plan is not None:
            data["plan"] = list(self.plan)
        if self.first:
            data["first"] = list(self.first)
        if self.used:
            data["used"] = list(self.used)
        if self.made:
            data["made"] = dict(self.made)
        if self.evidence:
            data["evidence"] = list(self.evidence)
        if self.offline:
            data["offline"] = True
        if self.replacement is not None:
            data["replacement"] = self.replacement
        if self.lease is not None:
            data["lease"] = {"token": self.lease.token, "until": self.lease.until}
        return data
