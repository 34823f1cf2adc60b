"""Which database failures a node is told to resend (503 with Retry-After) and a consumer retries
without parking: the server's, never the data's."""

from __future__ import annotations

import asyncpg

from ksd_common.db import unavailable


def test_a_full_server_is_unavailable_not_a_verdict_on_the_data() -> None:
    """With every connection slot taken, PostgreSQL refuses the connection: intake answers 503 (as
    for a restart), not 500, and a consumer tries the batch again instead of parking it."""
    assert unavailable(asyncpg.TooManyConnectionsError("sorry, too many clients already"))
    assert unavailable(asyncpg.CannotConnectNowError("the database system is starting up"))
    assert unavailable(ConnectionResetError())


def test_bad_data_is_not_retried_as_if_the_server_failed() -> None:
    assert not unavailable(asyncpg.DataError("invalid input for query argument $1"))
    assert not unavailable(asyncpg.UniqueViolationError("duplicate key value"))
    assert not unavailable(ValueError("not a date"))
