"""The channel groups of a live session. Every name starts with the school's schema, so two
schools' sessions (ids are per schema) never share a group."""


def live_group(schema_name: str, session_id: int) -> str:
    """Every page of a session: the host's screens and every participant's."""
    return f"{schema_name}.live.{session_id}"


def live_host_group(schema_name: str, session_id: int) -> str:
    """The host's screens only (answer counts, joins)."""
    return f"{schema_name}.live.{session_id}.host"


def live_participant_group(schema_name: str, session_id: int, participant_id: int) -> str:
    """One participant's devices (an answer given on one shows on the others)."""
    return f"{schema_name}.live.{session_id}.p{participant_id}"
