"""A school's chosen chat providers: its own endpoint answers its tasks and never another
school's, a failing provider hands over to the next one in the order and finally to the offline
engine, and every answered call's tokens are costed at the provider's price.

Two fake OpenAI servers stand in for two providers: ``openai_server`` is the platform's default
(the environment's), ``own`` the school's own endpoint with its own key."""

from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from ai.llm import LLMError, chat_provider
from tenants import ai_providers
from tenants.models import AIModelUsage, AIProvider
from tenants.quotas import month_start
from tests.fakes.openai_server import count_tokens, running

from .conftest import course_with_people, ingest_in_process, upload
from .samples import pdf_with_pages

MESSAGES = [{"role": "user", "content": "What do mitochondria make?"}]


@pytest.fixture
def own():
    with running(api_key="sk-school-own-endpoint") as server:
        yield server


@pytest.fixture
def providers(settings, openai_server):
    """The platform default points at ``openai_server``; schools may add local endpoints (the
    fakes listen on 127.0.0.1); no retries, so failures are quick."""
    openai_server.use_for(settings, embeddings=False)
    settings.AI_OWN_ENDPOINTS_MAY_BE_LOCAL = True
    settings.OPENAI_MAX_RETRIES = 0
    return openai_server


def own_endpoint(school, server, *, model="school-model") -> AIProvider:
    return ai_providers.own_endpoint_save(
        school=school.model,
        name="Our endpoint",
        base_url=server.url,
        model=model,
        api_key=server.api_key,
    )


def offered(server, *, name="Operator mini", model="op-model", tasks=("tutor", "generation")):
    return AIProvider.objects.create(
        name=name,
        base_url=server.url,
        model=model,
        api_key=server.api_key,
        tasks=list(tasks),
        price_input_per_million=Decimal("0.15"),
        price_output_per_million=Decimal("0.60"),
    )


def stream(school) -> tuple[str, object]:
    deltas: list[str] = []
    with schema_context(school.schema):
        provider = chat_provider(task="tutor")
        result = provider.stream_chat(MESSAGES, on_delta=deltas.append)
    return "".join(deltas), result


def chat_requests(server) -> list[dict]:
    return server.requests_to("/chat/completions")


@pytest.mark.django_db
def test_the_schools_own_endpoint_answers_its_tutor_and_never_another_schools(
    providers, own, school_a, school_b
):
    endpoint = own_endpoint(school_a, own)
    ai_providers.order_set(school=school_a.model, task="tutor", provider_ids=[endpoint.pk])
    own.script(own.reply("From the school's own model."))

    text, result = stream(school_a)
    assert text == "From the school's own model."
    (request,) = chat_requests(own)
    assert request["headers"]["authorization"] == "Bearer sk-school-own-endpoint"
    assert request["body"]["model"] == "school-model"

    text, _ = stream(school_b)
    assert text == providers.default_chat_text({})
    assert len(chat_requests(own)) == 1  # school B's question never reached A's endpoint
    assert len(chat_requests(providers)) == 1


@pytest.mark.django_db
def test_another_schools_endpoint_cannot_be_put_in_an_order(providers, own, school_a, school_b):
    endpoint = own_endpoint(school_a, own)
    with pytest.raises(Exception, match="not offered for this task"):
        ai_providers.order_set(school=school_b.model, task="tutor", provider_ids=[endpoint.pk])
    assert ai_providers.chosen_order(school_b.model, "tutor") == []


@pytest.mark.django_db
def test_a_schools_failing_account_opens_only_its_own_breaker(
    providers, school_a, school_b, settings
):
    # School A's own account at the platform's provider address: same URL, another key.
    settings.AI_BREAKER_FAILURES = 1
    providers.also_accepted.add("sk-school-a-account")
    endpoint = ai_providers.own_endpoint_save(
        school=school_a.model, name="A's account", base_url=providers.url, model="gpt-4o-mini",
        api_key="sk-school-a-account",
    )  # fmt: skip
    ai_providers.order_set(school=school_a.model, task="tutor", provider_ids=[endpoint.pk])
    providers.script(providers.status(500))

    with schema_context(school_a.schema), pytest.raises(LLMError, match="HTTP 500"):
        chat_provider(task="tutor").stream_chat(MESSAGES, on_delta=lambda text: None)
    with schema_context(school_a.schema), pytest.raises(LLMError, match="repeated failures"):
        chat_provider(task="tutor").stream_chat(MESSAGES, on_delta=lambda text: None)

    text, _ = stream(school_b)  # the platform's account at the same address still answers
    assert text == providers.default_chat_text({})
    assert len(chat_requests(providers)) == 2


@pytest.mark.django_db
def test_a_failing_first_provider_hands_over_to_the_next(providers, own, school_a):
    endpoint = own_endpoint(school_a, own)
    operator = offered(providers)
    ai_providers.order_set(
        school=school_a.model, task="tutor", provider_ids=[endpoint.pk, operator.pk]
    )
    own.script(own.status(500))
    providers.script(providers.reply("The operator's model answers."))

    text, result = stream(school_a)

    assert text == "The operator's model answers."
    assert len(chat_requests(own)) == 1 and len(chat_requests(providers)) == 1
    assert chat_requests(providers)[0]["body"]["model"] == "op-model"
    # The trace names the provider that answered.
    assert result.provider == "openai/op-model (Operator mini)"
    # Only the provider that answered is costed.
    (usage,) = AIModelUsage.objects.filter(school=school_a.model)
    assert (usage.provider, usage.model) == ("Operator mini", "op-model")


@pytest.mark.django_db
def test_a_rejected_school_key_hands_over_too(providers, own, school_a):
    endpoint = own_endpoint(school_a, own)
    endpoint.api_key = "sk-revoked"
    endpoint.save()
    ai_providers.order_set(school=school_a.model, task="tutor", provider_ids=[endpoint.pk, None])

    text, _ = stream(school_a)

    assert text == providers.default_chat_text({})
    assert len(chat_requests(own)) == 1  # refused with a 401, then the platform default


@pytest.mark.django_db
def test_when_every_provider_fails_the_last_error_reaches_the_caller(providers, own, school_a):
    endpoint = own_endpoint(school_a, own)
    ai_providers.order_set(school=school_a.model, task="tutor", provider_ids=[endpoint.pk, None])
    own.script(own.status(503))
    providers.script(providers.status(500))

    with schema_context(school_a.schema), pytest.raises(LLMError, match="HTTP 500"):
        chat_provider(task="tutor").stream_chat(MESSAGES, on_delta=lambda text: None)
    assert not AIModelUsage.objects.filter(school=school_a.model).exists()


@pytest.mark.django_db
def test_generation_follows_its_own_order(providers, own, school_a):
    endpoint = own_endpoint(school_a, own)
    ai_providers.order_set(school=school_a.model, task="generation", provider_ids=[endpoint.pk])
    schema = {
        "type": "object",
        "properties": {"stem": {"type": "string"}},
        "required": ["stem"],
        "additionalProperties": False,
    }

    with schema_context(school_a.schema):
        tutor_name = chat_provider(task="tutor").name
        data, _ = chat_provider(task="generation").complete_json(
            MESSAGES, schema=schema, schema_name="q"
        )

    assert tutor_name == "openai/gpt-4o-mini"  # the tutor has no order: the platform default
    assert isinstance(data["stem"], str)
    assert len(chat_requests(own)) == 1 and not chat_requests(providers)


@pytest.mark.django_db
def test_each_answer_is_costed_at_its_providers_price(providers, school_a):
    operator = offered(providers)
    ai_providers.order_set(school=school_a.model, task="tutor", provider_ids=[operator.pk])
    providers.script(providers.reply("one two three four"), providers.reply("five six"))

    stream(school_a)
    stream(school_a)

    prompt = 2 * sum(count_tokens(m["content"]) for m in MESSAGES)
    completion = count_tokens("one two three four") + count_tokens("five six")
    (usage,) = AIModelUsage.objects.filter(school=school_a.model)
    assert (usage.prompt_tokens, usage.completion_tokens) == (prompt, completion)
    assert usage.cost == (Decimal(prompt) * Decimal("0.15") + completion * Decimal("0.60")) / (
        10**6
    )
    rows, total = ai_providers.month_costs(school_a.model)
    assert [(r.provider, r.prompt_tokens, r.completion_tokens) for r in rows] == [
        ("Operator mini", prompt, completion)
    ]
    assert total == usage.cost


@pytest.mark.django_db
def test_over_the_plans_spending_cap_priced_providers_are_skipped(providers, own, school_a):
    from tenants.models import Plan

    school_a.model.plan = Plan.objects.create(name="Capped", monthly_ai_spend_limit=Decimal("1"))
    school_a.model.save()
    operator = offered(providers)
    endpoint = own_endpoint(school_a, own)
    ai_providers.order_set(
        school=school_a.model, task="tutor", provider_ids=[operator.pk, endpoint.pk]
    )
    usage = AIModelUsage.objects.create(
        school=school_a.model, month=month_start(), provider="Operator mini", model="op-model",
        cost=Decimal("0.99"),
    )  # fmt: skip

    stream(school_a)
    assert len(chat_requests(providers)) == 1 and not chat_requests(own)  # under the cap

    usage.cost = Decimal("1.00")
    usage.save()
    stream(school_a)
    assert len(chat_requests(providers)) == 1 and len(chat_requests(own)) == 1


@pytest.mark.django_db
def test_a_disabled_operator_provider_is_skipped(providers, own, school_a):
    operator = offered(own, name="Soon gone")
    ai_providers.order_set(school=school_a.model, task="tutor", provider_ids=[operator.pk, None])
    operator.enabled = False
    operator.save()

    text, _ = stream(school_a)

    assert text == providers.default_chat_text({}) and not chat_requests(own)


@pytest.mark.django_db
def test_the_key_is_stored_encrypted(providers, own, school_a):
    own_endpoint(school_a, own)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT api_key FROM tenants_aiprovider WHERE school_id = %s", [school_a.model.pk]
        )
        (raw,) = cursor.fetchone()
    assert raw and own.api_key not in raw and "sk-" not in raw
    assert AIProvider.objects.get(school=school_a.model.pk).api_key == own.api_key


# --- end to end: the tutor ------------------------------------------------------------------


@pytest.fixture
def biology(fresh_school, committed, tmp_path, settings):
    settings.LLM_PROVIDER = "offline"
    school = fresh_school()
    course = course_with_people(school)
    material, _ = upload(
        school,
        course,
        pdf_with_pages(
            tmp_path,
            ["Mitochondria are the powerhouse of the cell. They produce ATP through cellular "
             "respiration, which releases energy from glucose."],
        ),
    )  # fmt: skip
    assert ingest_in_process(school, material.pk).state == "ready"
    return school, course


def ask(school, course, question):
    from ai.tutor import services as tutor

    with schema_context(school.schema):
        turn = tutor.tutor_turn_create(course=course, asked_by=school.student, question=question)
        turn = tutor.tutor_answer(turn.pk, emit=lambda frame: None)
        turn.refresh_from_db()
    return turn


def test_the_tutor_answers_with_the_schools_endpoint_then_offline_when_it_fails(
    biology, providers, own, fresh_school
):
    school, course = biology
    endpoint = own_endpoint(school, own)
    ai_providers.order_set(school=school.model, task="tutor", provider_ids=[endpoint.pk])
    own.script(own.reply("ATP, made by the mitochondria [1]."), own.status(500))

    turn = ask(school, course, "What do mitochondria produce?")
    assert turn.answer == "ATP, made by the mitochondria [1]."
    assert turn.provider == "openai/school-model (Our endpoint)"

    turn = ask(school, course, "What do mitochondria produce?")
    assert turn.provider.startswith("offline/extractive (fallback")
    assert "They produce ATP" in turn.answer
    assert not chat_requests(providers)  # the school's order had no platform default
    rows, _ = ai_providers.month_costs(school.model)
    assert [(r.provider, r.model, r.cost) for r in rows] == [
        ("Our endpoint", "school-model", Decimal(0))
    ]


def sessions_that_read_providers() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE %s"
            " AND datname = current_database()",
            ['%"tenants_aiprovider"%'],
        )
        return cursor.fetchone()[0]


def test_looking_up_the_order_leaves_no_connection_held_while_the_model_answers(
    biology, providers, own
):
    import threading
    import time

    school, course = biology
    endpoint = own_endpoint(school, own)
    ai_providers.order_set(school=school.model, task="tutor", provider_ids=[endpoint.pk])
    own.script(own.sleep(3, then=own.reply("ATP [1].")))
    outcome = {}

    def answer():
        outcome["turn"] = ask(school, course, "What do mitochondria produce?")
        connection.close()

    worker = threading.Thread(target=answer)
    worker.start()
    deadline = time.monotonic() + 20
    while not chat_requests(own) and time.monotonic() < deadline:
        time.sleep(0.05)
    settled = time.monotonic() + 2
    while (during := sessions_that_read_providers()) and time.monotonic() < settled:
        time.sleep(0.05)
    worker.join(timeout=30)

    assert chat_requests(own), "the school's endpoint was never called"
    assert during == 0
    assert outcome["turn"].answer == "ATP [1]."
