"""The generation job's cursor is typed (GenerationCursor) but stores the JSON jobs have always
stored: a job saved by the previous version resumes after a deploy, and a fresh one writes the
same keys."""

import time

from quizzes.generation.cursor import GenerationCursor, Lease

# What a running job of the dict-state version held in its ``cursor`` column.
STORED = {
    "first": [12],
    "plan": [12, 7, 9, 30],
    "evidence": ["Mitochondria produce most of the cell's ATP."],
    "used": [12, 7],
    "made": {"single": 2, "numeric": 1},
    "offline": True,
    "replacement": 481,
    "lease": {"token": "3f2a", "until": 1765000000.5},
}


def test_a_stored_cursor_round_trips_unchanged():
    cursor = GenerationCursor.from_json(STORED)
    assert cursor.plan == [12, 7, 9, 30]
    assert cursor.first == [12]
    assert cursor.used == [12, 7]
    assert cursor.made == {"single": 2, "numeric": 1}
    assert cursor.offline is True
    assert cursor.replacement == 481
    assert cursor.lease == Lease(token="3f2a", until=1765000000.5)
    assert cursor.to_json() == STORED


def test_a_new_job_stores_an_empty_cursor_and_keys_appear_as_they_are_set():
    assert GenerationCursor.from_json(None).to_json() == {}
    assert GenerationCursor.from_json({}).to_json() == {}
    cursor = GenerationCursor(first=[3], evidence=["A sentence."])
    assert cursor.to_json() == {"first": [3], "evidence": ["A sentence."]}
    cursor.plan = []  # planned, with nothing to draw from: still planned
    assert cursor.to_json()["plan"] == []


def test_unknown_keys_are_kept_and_a_dropped_lease_leaves_no_key():
    cursor = GenerationCursor.from_json({**STORED, "future": {"x": 1}})
    cursor.lease = None
    stored = cursor.to_json()
    assert stored["future"] == {"x": 1}
    assert "lease" not in stored


def test_a_lease_is_active_until_it_expires(settings):
    settings.INGEST_STALL_SECONDS = 60
    assert Lease.fresh("t").active
    assert not Lease(token="t", until=time.time() - 1).active
