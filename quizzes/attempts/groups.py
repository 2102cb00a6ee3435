"""The channel group of one attempt's open pages."""


def attempt_group(schema_name: str, attempt_id: int) -> str:
    """Every open page of one attempt (a second tab, the API's writes) hears its changes."""
    return f"{schema_name}.attempt.{attempt_id}"
