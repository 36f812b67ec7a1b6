"""The test sessions' own servers: concurrent sessions of one checkout never share a Redis db."""

from __future__ import annotations

from pathlib import Path

from tests.servers import _claim_redis_db


def test_each_session_claims_a_redis_database_of_its_own(tmp_path: Path) -> None:
    first, first_claim = _claim_redis_db(tmp_path)
    second, second_claim = _claim_redis_db(tmp_path)
    assert first != second
    first_claim.close()  # that session ended: its database is free again
    third, third_claim = _claim_redis_db(tmp_path)
    assert third == first
    second_claim.close()
    third_claim.close()
