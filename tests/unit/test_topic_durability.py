"""How many copies the platform's topics keep, from the cluster's size or the settings
(`ksd_common.topics.durability`): what `ksd_common.access setup` creates on one broker and on three."""

from __future__ import annotations

import pytest

from ksd_common.settings import Settings
from ksd_common.topics import Durability, durability


@pytest.mark.parametrize(("brokers", "expected"), [(1, (1, 1)), (2, (2, 1)), (3, (3, 2)), (5, (3, 2))])
def test_copies_follow_the_cluster_up_to_three_and_survive_one_broker(brokers: int, expected: tuple[int, int]) -> None:
    copies = durability(brokers)
    assert copies == expected
    # a write acknowledged by `min_insync` brokers is still held when one broker is lost
    assert copies.replication == 1 or copies.replication - copies.min_insync >= 1


def test_settings_win_over_the_cluster_size() -> None:
    assert durability(3, replication=1) == (1, 1)
    assert durability(3, replication=3, min_insync=3) == (3, 3)
    assert durability(1, min_insync=1) == (1, 1)


def test_a_topics_config_gains_its_min_insync_and_keeps_the_rest() -> None:
    assert Durability(3, 2).config({"retention.ms": "-1"}) == {"retention.ms": "-1", "min.insync.replicas": "2"}


def test_every_client_is_given_each_broker_of_a_cluster() -> None:
    options = Settings(kafka_bootstrap="127.0.0.1:9092, 127.0.0.1:9094,127.0.0.1:9096").kafka_options()
    assert options["bootstrap_servers"] == ["127.0.0.1:9092", "127.0.0.1:9094", "127.0.0.1:9096"]
