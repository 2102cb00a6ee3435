"""An acknowledged answer survives the server: kill daphne mid-attempt, start a new one on
another port, reconnect, and every answer the old server said "saved" to is there."""

import subprocess
import sys
from dataclasses import dataclass

import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import _free_port, _wait_for_http, live_env
from tests.quizzes.conftest import course_in

from .test_attempt_websocket import Classroom, answer, ask, by_position
from .ws import receive_json

pytestmark = pytest.mark.live


@dataclass
class Daphne:
    port: int
    process: subprocess.Popen

    def kill(self) -> None:
        """Stop at once, as a crash or an OOM kill would: no graceful shutdown, no flush."""
        self.process.kill()
        self.process.wait(timeout=15)


@pytest.fixture
def daphne(django_db_setup, tmp_path):
    """``daphne()`` starts a daphne process of its own (unlike the session's
    ``live_server_process``, this one may be killed); every one started is killed at the end."""
    started = []

    def serve() -> Daphne:
        port = _free_port()
        log = open(tmp_path / f"daphne-{port}.log", "wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
            + ["smartedu.asgi:application"],
            env=live_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        _wait_for_http(port, process)
        return Daphne(port, process)

    yield serve
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=15)


def test_every_acknowledged_answer_survives_a_server_restart(daphne, fresh_school, committed):
    school = fresh_school()
    course = course_in(school)
    first = daphne()
    before = Classroom(first.port, school, course)
    quiz = before.quiz(("single", "multiple", "numeric"), time_limit_minutes=30)
    with before.socket(quiz) as websocket:
        started = ask(websocket, {"type": "start"})
        acks = [
            answer(websocket, started["attempt"], 1, {"option": "a"}),
            answer(websocket, started["attempt"], 2, {"options": ["a", "b"]}),
        ]
        first.kill()  # with the page still connected
        with pytest.raises(ConnectionClosed):
            receive_json(websocket, timeout=5)

    second = daphne()
    after = Classroom(second.port, school, course)
    with after.socket(quiz) as websocket:
        resumed = ask(websocket, {"type": "open"})
        last = answer(websocket, resumed["attempt"], 3, {"value": "100"})
        submitted = ask(websocket, {"type": "submit", "attempt": resumed["attempt"]})

    assert [a["type"] for a in acks] == ["saved", "saved"]
    assert second.port != first.port
    assert resumed["type"] == "attempt" and resumed["attempt"] == started["attempt"]
    questions = by_position(resumed)
    assert questions[1]["response"] == {"option": "a"}
    assert questions[2]["response"] == {"options": ["a", "b"]}
    assert [questions[p]["saved_at"] for p in (1, 2)] == [a["saved_at"] for a in acks]
    assert resumed["answered"] == 2 and resumed["deadline"] == started["deadline"]
    assert last["type"] == "saved" and last["answered"] == 3
    assert submitted["result"]["score"] == 3.0
