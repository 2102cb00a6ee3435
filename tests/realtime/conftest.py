import pytest
from django_tenants.utils import schema_context


@pytest.fixture
def alpha(committed):
    """School A of the session (committed, so the live server sees what tests write)."""
    return pytest.school_a


@pytest.fixture
def beta(committed):
    return pytest.school_b


def roster_csv(prefix: str, rows: int) -> bytes:
    lines = ["external_id,username,email,first_name,last_name,role"]
    lines += [
        f"{prefix.upper()}-{i},{prefix}{i},{prefix}{i}@example.com,First{i},Last{i},student"
        for i in range(1, rows + 1)
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def school_user_count():
    def count(school) -> int:
        from accounts.models import User

        with schema_context(school.schema):
            return User.objects.count()

    return count
