"""The outbox relay's decisions after a failed publish, without a broker: which errors need a new
producer (the idempotent producer cannot recover from them), and when readiness says the relay is
not draining. Restarting the shared broker to provoke them is left to a chaos run."""

from __future__ import annotations

import pytest
from aiokafka.errors import (
    InvalidProducerEpoch,
    KafkaConnectionError,
    KafkaTimeoutError,
    NotLeaderForPartitionError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    UnknownProducerId,
)

from ksd_common.outbox import IDLE_POLL, PublishStalled, RelayHealth, needs_new_producer


@pytest.mark.parametrize("error", [OutOfOrderSequenceNumber(), UnknownProducerId(), InvalidProducerEpoch(),
                                   ProducerFenced(), PublishStalled("not acknowledged")])
def test_a_producer_whose_idempotence_state_is_refused_is_replaced(error: Exception) -> None:
    assert needs_new_producer(error)


@pytest.mark.parametrize("error", [KafkaTimeoutError(), KafkaConnectionError(), NotLeaderForPartitionError(),
                                   OSError("reset")])
def test_errors_the_producer_retries_itself_keep_it(error: Exception) -> None:
    assert not needs_new_producer(error)


def test_readiness_fails_only_after_the_grace_and_recovers_on_success() -> None:
    health = RelayHealth(grace=30)
    assert health.check(0) == "ok"
    health.failed(OutOfOrderSequenceNumber(), now=100)
    health.failed(KafkaTimeoutError(), now=120)
    assert health.draining(129) and health.check(129) == "ok"  # failing since 100, within the grace
    assert not health.draining(131)
    assert health.check(131).startswith("failed: not draining for 31 s (KafkaTimeoutError")
    health.succeeded()
    assert health.check(1000) == "ok"


def test_retries_back_off_to_at_most_ten_seconds() -> None:
    health = RelayHealth()
    assert health.backoff() == IDLE_POLL  # nothing failed: the idle poll
    delays = []
    for _ in range(8):
        health.failed(KafkaTimeoutError(), now=0)
        delays.append(health.backoff())
    assert delays == [0.5, 1, 2, 4, 8, 10, 10, 10]
    health.succeeded()
    assert health.backoff() == IDLE_POLL
