"""A school's chat providers for one task, tried in order (tenants.ai_providers says which):
``resolve`` builds the chain for the current school, caching clients per process by their whole
configuration, key included, so two schools' keys never share a client.

Kept apart from ai.llm, which builds the clients: this module is handed the builder."""

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings

from .openai_compat import ProviderError

if TYPE_CHECKING:
    from tenants.ai_providers import ChainLink

logger = logging.getLogger(__name__)


class FallbackChat:
    """A ChatProvider (ai.llm) made of a school's providers for one task, tried in order: when
    one fails (an error, a rejected key, its breaker open) the next is asked. When the last
    fails its LLMError reaches the caller, whose offline fallback then applies. A stream that
    already passed text on is not handed to the next provider (the text would mix two
    answers): its error goes to the caller.

    Each answered call's tokens are recorded against the school per provider and model, at that
    provider's price. Shared by threads: it holds no state of its own between calls."""

    def __init__(self, links: list[tuple["ChainLink", Any]], *, school_id: int | None):
        self._links = links
        self._school_id = school_id
        names = [_link_name(link, provider) for link, provider in links]
        self.name = (names[0] if len(names) == 1 else " → ".join(names))[:200]

    @property
    def breaker(self):
        """The first provider's circuit breaker."""
        return self._links[0][1].breaker

    def _answered(self, link: "ChainLink", provider: Any, result: Any) -> None:
        result.provider = _link_name(link, provider)
        if len(self._links) > 1:
            logger.info("AI provider %s answered.", _link_name(link, provider))
        if self._school_id is None:
            return
        from tenants.ai_providers import model_usage_record

        model_usage_record(
            school_id=self._school_id,
            link=link,
            model=link.model,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
        )
        _release_connection()

    def _failed(self, link: "ChainLink", exc: ProviderError, index: int) -> None:
        if index + 1 < len(self._links):
            logger.warning(
                "AI provider %s failed (%s); trying %s.",
                link.label,
                exc.message,
                self._links[index + 1][0].label,
            )

    def _in_order(
        self,
        call: Callable[[Any], Any],
        *,
        handed_on: Callable[[], bool],
        result_of: Callable[[Any], Any] = lambda outcome: outcome,
    ) -> Any:
        """``call(provider)`` for each provider in turn until one answers (its ChatResult is
        ``result_of`` the answer); the last one's error, or the first once ``handed_on()`` says
        text already reached the caller, is raised."""
        for index, (link, provider) in enumerate(self._links):
            try:
                outcome = call(provider)
            except ProviderError as exc:
                if handed_on() or index + 1 == len(self._links):
                    raise
                self._failed(link, exc, index)
                continue
            self._answered(link, provider, result_of(outcome))
            return outcome
        raise AssertionError("a FallbackChat has at least one provider")

    def stream_chat(
        self,
        messages: list[dict],
        *,
        on_delta: Callable[[str], None],
        max_tokens: int | None = None,
    ) -> Any:
        passed_on = False

        def relay(text: str) -> None:
            nonlocal passed_on
            passed_on = True
            on_delta(text)

        return self._in_order(
            lambda provider: provider.stream_chat(messages, on_delta=relay, max_tokens=max_tokens),
            handed_on=lambda: passed_on,
        )

    def complete_json(
        self,
        messages: list[dict],
        *,
        schema: dict,
        schema_name: str,
        max_tokens: int | None = None,
    ) -> tuple[dict, Any]:
        return self._in_order(
            lambda provider: provider.complete_json(
                messages, schema=schema, schema_name=schema_name, max_tokens=max_tokens
            ),
            handed_on=lambda: False,
            result_of=lambda outcome: outcome[1],
        )


def _release_connection() -> None:
    # The caller has released its database connection before the model call (no model may run
    # while the process holds one); the lookups here must not hand it one back. Inside a
    # transaction (a test, or a caller that chose one) closing would abort it: kept there.
    from django.db import connection

    if not connection.in_atomic_block:
        connection.close()


# Built clients, keyed by everything they were built from (key included, so two schools with
# different keys never share one), and the chains made of them; the oldest go when there are
# too many.
_CACHE_MAX = 64
_clients: OrderedDict[tuple, Any] = OrderedDict()
_chains: OrderedDict[tuple, FallbackChat] = OrderedDict()
_lock = threading.Lock()


def _client(link: "ChainLink", build: Callable[["ChainLink"], Any]) -> Any:
    configuration = (
        link,
        float(settings.OPENAI_TIMEOUT_SECONDS),
        int(settings.OPENAI_MAX_RETRIES),
        int(settings.LLM_MAX_OUTPUT_TOKENS),
        int(settings.AI_BREAKER_FAILURES),
        float(settings.AI_BREAKER_RESET_SECONDS),
        # A forked worker must not share its parent's sockets.
        os.getpid(),
    )
    with _lock:
        provider = _clients.get(configuration)
        if provider is None:
            provider = _clients[configuration] = build(link)
            while len(_clients) > _CACHE_MAX:
                _clients.popitem(last=False)
        else:
            _clients.move_to_end(configuration)
        return provider


def _link_name(link: "ChainLink", provider: Any) -> str:
    # The environment's provider keeps the name it always had.
    return provider.name if link.is_default else f"{provider.name} ({link.label})"


def resolve(task: str, *, build: Callable[["ChainLink"], Any]) -> FallbackChat | None:
    """The current school's providers for ``task`` in order (``build`` makes a client from a
    link), else the environment's; None when there is nothing to try."""
    from django_tenants.utils import get_public_schema_name

    from smartedu.db import current_schema
    from tenants.ai_providers import chat_chain
    from tenants.selectors import school_current

    # Outside a school (the platform, a command) nothing is chosen: no query needed.
    school = None if current_schema() == get_public_schema_name() else school_current()
    links = chat_chain(school, task)
    _release_connection()
    if not links:
        return None
    school_id = school.pk if school else None
    clients = [(link, _client(link, build)) for link in links]
    key = (school_id, tuple((link, id(client)) for link, client in clients))
    with _lock:
        chain = _chains.get(key)
        if chain is None:
            chain = _chains[key] = FallbackChat(clients, school_id=school_id)
            while len(_chains) > _CACHE_MAX:
                _chains.popitem(last=False)
        else:
            _chains.move_to_end(key)
        return chain
