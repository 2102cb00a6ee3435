"""API test helpers: keys of school A (read and read-write), and clients that send them."""

from dataclasses import dataclass

import pytest
from django.test import Client

from tenants.services import api_key_create


@dataclass
class Keys:
    read: str
    read_write: str
    read_key: object
    read_write_key: object


def api(school, secret: str | None = None, **extra) -> Client:
    """A client on ``school``'s host that sends ``Authorization: Api-Key <secret>``."""
    if secret is not None:
        extra["HTTP_AUTHORIZATION"] = f"Api-Key {secret}"
    return Client(HTTP_HOST=school.host, **extra)


def make_keys(school) -> Keys:
    read_key, read = api_key_create(school=school.model, name="SIS read", scope="read")
    read_write_key, read_write = api_key_create(
        school=school.model, name="SIS sync", scope="read_write"
    )
    return Keys(read, read_write, read_key, read_write_key)


@pytest.fixture
def keys_a(school_a) -> Keys:
    return make_keys(school_a)


@pytest.fixture
def keys_b(school_b) -> Keys:
    return make_keys(school_b)


@pytest.fixture
def reader(school_a, keys_a) -> Client:
    return api(school_a, keys_a.read)


@pytest.fixture
def writer(school_a, keys_a) -> Client:
    return api(school_a, keys_a.read_write)
