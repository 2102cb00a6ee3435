"""A real local HTTP server that speaks the OpenAI API, for testing the OpenAI-compatible
providers end to end: the ``openai`` package, its retries and timeouts, our error mapping and
circuit breaker all run for real against it.

    server.script(reply("Mitochondria make ATP [1]."), status(429, retry_after=0.05))

queues behaviours for the next POST requests (embeddings or chat), first in first out; with the
queue empty every request gets a sensible default answer. A behaviour that does not fit the
endpoint it lands on (``wrong_dimensions()`` on a chat request) gives that endpoint's default.
Every request is recorded in ``server.requests`` as a dict: method, path, headers (lower-case
names), body (parsed JSON or None) and at (``time.monotonic()`` when it arrived).

Endpoints: ``POST /v1/embeddings`` (deterministic vectors: a hashed bag of lower-case words,
normalised, so texts that share words are similar), ``POST /v1/chat/completions`` (streaming
SSE in OpenAI's exact chunk format with a final usage chunk and ``[DONE]``, or one JSON body)
and ``GET /v1/models``. Requests without ``Authorization: Bearer <api_key>`` get a 401 in
OpenAI's error shape and consume nothing from the queue.

Live worker processes cannot see pytest's ``settings`` fixture; ``server.env()`` gives the
environment variables that point a subprocess at this server.
"""

import base64
import hashlib
import json
import math
import re
import socket
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

DIMENSIONS = 384
DEFAULT_API_KEY = "sk-test-smartedu"
DEFAULT_CHAT_REPLY = "According to the course material, the first source answers this [1]."
MODELS = ("text-embedding-3-small", "gpt-4o-mini")

_WORD_RE = re.compile(r"[a-z0-9]+")
_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_PIECE_RE = re.compile(r"\s*\S+|\s+$")


def count_tokens(text: str) -> int:
    """The fake's token count: words and punctuation marks. Tests assert usage against it."""
    return len(_TOKEN_RE.findall(text))


def fake_embedding(text: str, dimensions: int = DIMENSIONS) -> list[float]:
    """The vector the fake returns for ``text``: signed feature hashing of its lower-case words,
    normalised to unit length. An empty text maps to a fixed unit vector."""
    vector = [0.0] * dimensions
    for word in _WORD_RE.findall(text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % dimensions
        vector[index] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0:
        vector[0] = 1.0
        return vector
    return [x / norm for x in vector]


# --- behaviours -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Behaviour:
    kind: str
    text: str | None = None
    obj: Any = None
    code: int | None = None
    retry_after: float | None = None
    message: str | None = None
    seconds: float = 0.0
    then: "Behaviour | None" = None
    usage: bool = True
    after: int = 1
    error_code: str | None = None


def reply(text: str, *, usage: bool = True) -> Behaviour:
    """Chat answers ``text`` (streamed word by word when asked to stream). ``usage=False``
    leaves token usage out, as some servers do."""
    return Behaviour("reply", text=text, usage=usage)


def reply_json(obj: Any, *, usage: bool = True) -> Behaviour:
    """Chat answers ``obj`` serialised as JSON (what a structured-output request expects)."""
    return Behaviour("reply", text=json.dumps(obj), usage=usage)


def status(
    code: int,
    *,
    retry_after: float | None = None,
    message: str | None = None,
    error_code: str | None = None,
) -> Behaviour:
    """An HTTP error in OpenAI's error shape. ``retry_after`` (seconds, may be fractional) is
    sent as Retry-After, which the openai client honours when it is above zero; ``error_code``
    replaces the usual ``error.code`` (``"insufficient_quota"`` on a 429)."""
    return Behaviour(
        "status", code=code, retry_after=retry_after, message=message, error_code=error_code
    )


def sleep(seconds: float, then: Behaviour | None = None) -> Behaviour:
    """Wait before answering (with ``then``, or the default) so that a client times out."""
    return Behaviour("sleep", seconds=seconds, then=then)


def malformed() -> Behaviour:
    """A 200 whose body is not valid JSON; when streaming, one good chunk then a garbled
    event."""
    return Behaviour("malformed")


def cut_stream(text: str = DEFAULT_CHAT_REPLY, *, after: int = 2) -> Behaviour:
    """Stream the first ``after`` pieces of ``text`` then drop the connection mid-body; a
    non-streaming request gets its connection dropped before any body."""
    return Behaviour("cut", text=text, after=after)


def wrong_dimensions(dimensions: int = DIMENSIONS - 1) -> Behaviour:
    """Embeddings of the wrong length."""
    return Behaviour("wrong_dimensions", after=dimensions)


def wrong_count() -> Behaviour:
    """One embedding fewer than the inputs."""
    return Behaviour("wrong_count")


def shuffled() -> Behaviour:
    """Valid embeddings listed in reverse order (each still carries its right ``index``)."""
    return Behaviour("shuffled")


def not_finite() -> Behaviour:
    """Embeddings carrying NaN, as a broken model might."""
    return Behaviour("not_finite")


# --- JSON-schema instances for the default structured answer ---------------------------------


def instance_for(schema: dict, root: dict | None = None) -> Any:
    """A small value that satisfies ``schema`` (the subset structured outputs use)."""
    root = root if root is not None else schema
    if "$ref" in schema:
        node: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        return instance_for(node, root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return instance_for(schema[key][0], root)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        return {name: instance_for(sub, root) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        count = max(1, schema.get("minItems", 1))
        return [instance_for(schema.get("items", {}), root) for _ in range(count)]
    if kind == "string":
        return "example"
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1.0))
    if kind == "boolean":
        return True
    return None


# --- the server -------------------------------------------------------------------------------


_ERROR_SHAPES = {
    400: ("invalid_request_error", None, "The request is invalid."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    408: ("server_error", None, "Request timed out."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests."),
    500: ("server_error", None, "The server had an error while processing your request."),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        fake = self.server.fake
        fake._record(
            {
                "method": method,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
                "at": time.monotonic(),
            }
        )
        keys = {fake.api_key, *fake.also_accepted}
        if self.headers.get("Authorization") not in {f"Bearer {key}" for key in keys}:
            self._error(
                401,
                "Incorrect API key provided. You can find your API key on the "
                "provider's dashboard.",
            )
            return
        path = self.path.split("?")[0]
        if method == "GET" and path == "/v1/models":
            self._json(
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": m, "object": "model", "created": 0, "owned_by": "smartedu-tests"}
                        for m in fake.models
                    ],
                },
            )
            return
        if method != "POST" or path not in ("/v1/embeddings", "/v1/chat/completions"):
            self._error(404, f"Unknown request URL: {method} {path}.")
            return
        if not isinstance(body, dict):
            self._error(400, "We could not parse the JSON body of your request.")
            return
        behaviour = fake._next_behaviour()
        while behaviour is not None and behaviour.kind == "sleep":
            time.sleep(behaviour.seconds)
            behaviour = behaviour.then
        if behaviour is not None and behaviour.kind == "status":
            self._error(
                behaviour.code or 500,
                behaviour.message,
                behaviour.retry_after,
                behaviour.error_code,
            )
            return
        if path == "/v1/embeddings":
            self._embeddings(body, behaviour)
        else:
            self._chat(body, behaviour)

    # --- endpoints ------------------------------------------------------------------------

    def _embeddings(self, body: dict, behaviour: Behaviour | None) -> None:
        kind = behaviour.kind if behaviour else "default"
        if kind == "malformed":
            self._raw(200, b'{"object": "list", "data": [{"embedding": [0.1, 0.2', "json")
            return
        if kind == "cut":
            self._drop()
            return
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not texts:
            self._error(400, "'input' must be a non-empty string or array.")
            return
        if any(t == "" for t in texts):
            self._error(400, "'$.input' is invalid. Please check the API reference.")
            return
        texts = [t if isinstance(t, str) else " ".join(map(str, t)) for t in texts]
        dimensions = int(body.get("dimensions") or DIMENSIONS)
        vectors = [fake_embedding(t, dimensions) for t in texts]
        if kind == "wrong_dimensions":
            size = behaviour.after
            vectors = [(v + [0.0] * size)[:size] for v in vectors]
        elif kind == "wrong_count":
            vectors = vectors[:-1]
        elif kind == "not_finite":
            vectors = [[math.nan] * len(v) for v in vectors]
        items = [
            {"object": "embedding", "index": i, "embedding": self._encode(v, body)}
            for i, v in enumerate(vectors)
        ]
        if kind == "shuffled":
            items.reverse()
        tokens = sum(count_tokens(t) for t in texts)
        self._json(
            200,
            {
                "object": "list",
                "data": items,
                "model": body.get("model"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )

    @staticmethod
    def _encode(vector: list[float], body: dict) -> Any:
        if body.get("encoding_format") == "base64":
            return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        return vector

    def _chat(self, body: dict, behaviour: Behaviour | None) -> None:
        model = body.get("model") or "unknown"
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            self._error(400, "'messages' must be a non-empty array.")
            return
        kind = behaviour.kind if behaviour else "default"
        text = behaviour.text if behaviour and behaviour.text is not None else None
        if text is None:
            text = self.server.fake.default_chat_text(body)
        with_usage = behaviour.usage if behaviour else True
        prompt_tokens = sum(
            count_tokens(m.get("content") if isinstance(m.get("content"), str) else "")
            for m in messages
            if isinstance(m, dict)
        )
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": count_tokens(text),
            "total_tokens": prompt_tokens + count_tokens(text),
        }
        if not body.get("stream"):
            if kind == "malformed":
                self._raw(200, b'{"id": "chatcmpl-broken", "choices": [', "json")
            elif kind == "cut":
                self._drop()
            else:
                self._json(200, self._completion(model, text, usage if with_usage else None))
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        self._stream(model, text, kind, behaviour, usage if with_usage else None, include_usage)

    @staticmethod
    def _completion(model: str, text: str, usage: dict | None) -> dict:
        completion = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": "fp_smartedu",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
        }
        if usage is not None:
            completion["usage"] = usage
        return completion

    def _stream(self, model, text, kind, behaviour, usage, include_usage) -> None:
        chunk_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())

        def chunk(delta: dict, finish_reason=None, *, choices=True, usage_value=None) -> bytes:
            payload: dict[str, Any] = {
                "id": chunk_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_smartedu",
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
                ]
                if choices
                else [],
            }
            if include_usage:
                payload["usage"] = usage_value
            return f"data: {json.dumps(payload)}\n\n".encode()

        pieces = _PIECE_RE.findall(text)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            self._chunk(chunk({"role": "assistant", "content": "", "refusal": None}))
            if kind == "cut":
                for piece in pieces[: behaviour.after]:
                    self._chunk(chunk({"content": piece}))
                self._drop()
                return
            if kind == "malformed":
                self._chunk(chunk({"content": pieces[0] if pieces else "x"}))
                self._chunk(b'data: {"id": "chatcmpl-broken", "choices": [{"delta": \n\n')
                self._chunk(b"data: [DONE]\n\n")
                self._chunk(b"")
                return
            for piece in pieces:
                self._chunk(chunk({"content": piece}))
            self._chunk(chunk({}, "stop"))
            if include_usage and usage is not None:
                self._chunk(chunk({}, choices=False, usage_value=usage))
            self._chunk(b"data: [DONE]\n\n")
            self._chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # --- wire helpers ---------------------------------------------------------------------

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _json(self, code: int, obj: Any, headers: dict | None = None) -> None:
        self._raw(code, json.dumps(obj).encode(), "json", headers)

    def _raw(self, code: int, data: bytes, kind: str, headers: dict | None = None) -> None:
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json" if kind == "json" else "text/plain")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout test); nobody is left to answer.
            self.close_connection = True

    def _error(
        self,
        code: int,
        message: str | None,
        retry_after: float | None = None,
        error_code: str | None = None,
    ) -> None:
        kind, usual_code, default_message = _ERROR_SHAPES.get(
            code, ("server_error" if code >= 500 else "invalid_request_error", None, "Error.")
        )
        error_code = error_code or usual_code
        headers = {}
        if retry_after is not None:
            headers["Retry-After"] = f"{retry_after:g}"
        self._json(
            code,
            {
                "error": {
                    "message": message or default_message,
                    "type": kind,
                    "param": None,
                    "code": error_code,
                }
            },
            headers,
        )

    def _drop(self) -> None:
        """Close the connection abruptly: the client sees a body cut short."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: "FakeOpenAIServer"

    def handle_error(self, request, client_address) -> None:
        # A client that timed out leaves a handler writing to a closed socket: expected here.
        pass


class FakeOpenAIServer:
    """The fake. ``start()`` binds a free port on 127.0.0.1; ``url`` is the base URL the openai
    client expects (ending in /v1)."""

    reply = staticmethod(reply)
    reply_json = staticmethod(reply_json)
    status = staticmethod(status)
    sleep = staticmethod(sleep)
    malformed = staticmethod(malformed)
    cut_stream = staticmethod(cut_stream)
    wrong_dimensions = staticmethod(wrong_dimensions)
    wrong_count = staticmethod(wrong_count)
    shuffled = staticmethod(shuffled)
    not_finite = staticmethod(not_finite)

    def __init__(self, api_key: str = DEFAULT_API_KEY, models: tuple[str, ...] = MODELS):
        self.api_key = api_key
        # More keys it accepts (two accounts on one provider), for tests that need them.
        self.also_accepted: set[str] = set()
        self.models = list(models)
        self.requests: list[dict] = []
        self._queue: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start() the server first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> "FakeOpenAIServer":
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next POST requests, in order."""
        with self._lock:
            self._queue.extend(behaviours)

    @property
    def pending(self) -> int:
        """How many scripted behaviours no request has used yet."""
        with self._lock:
            return len(self._queue)

    def requests_to(self, suffix: str) -> list[dict]:
        """The recorded requests whose path ends with ``suffix`` ("/embeddings")."""
        with self._lock:
            return [r for r in self.requests if r["path"].split("?")[0].endswith(suffix)]

    def default_chat_text(self, body: dict) -> str:
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            schema = (response_format.get("json_schema") or {}).get("schema") or {}
            return json.dumps(instance_for(schema))
        if response_format.get("type") == "json_object":
            return "{}"
        return DEFAULT_CHAT_REPLY

    def use_for(self, settings, *, embeddings: bool = True, chat: bool = True) -> None:
        """Point pytest-django's ``settings`` at this server for embeddings and/or chat."""
        if embeddings:
            settings.EMBEDDING_PROVIDER = "openai"
            settings.EMBEDDING_MODEL = "text-embedding-3-small"
            settings.EMBEDDING_BASE_URL = self.url
            settings.EMBEDDING_API_KEY = self.api_key
        if chat:
            settings.LLM_PROVIDER = "openai"
            settings.LLM_MODEL = "gpt-4o-mini"
            settings.OPENAI_BASE_URL = self.url
            settings.OPENAI_API_KEY = self.api_key

    def env(self, *, embeddings: bool = True, chat: bool = True) -> dict[str, str]:
        """The same, as environment variables for a worker subprocess."""
        env = {}
        if embeddings:
            env.update(
                EMBEDDING_PROVIDER="openai",
                EMBEDDING_MODEL="text-embedding-3-small",
                EMBEDDING_BASE_URL=self.url,
                EMBEDDING_API_KEY=self.api_key,
            )
        if chat:
            env.update(
                LLM_PROVIDER="openai",
                LLM_MODEL="gpt-4o-mini",
                OPENAI_BASE_URL=self.url,
                OPENAI_API_KEY=self.api_key,
            )
        return env

    def _record(self, request: dict) -> None:
        with self._lock:
            self.requests.append(request)

    def _next_behaviour(self) -> Behaviour | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None


@contextmanager
def running(api_key: str = DEFAULT_API_KEY) -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(api_key=api_key).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAIServer]:
    """A fresh fake OpenAI server for one test."""
    with running() as server:
        yield server
