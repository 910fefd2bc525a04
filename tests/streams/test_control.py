"""The Redis keys shared by services, the reconciler and workers (streams/control.py), on a real Valkey."""

import pytest

from streams import control
from streams.control import Command


def test_lease_is_exclusive_and_only_its_holder_renews_or_releases_it():
    """GIVEN a lease held by A WHEN B tries to take, renew or release it THEN nothing changes for A."""
    assert control.acquire_lease(9001, "A", ttl_s=5)
    assert not control.acquire_lease(9001, "B", ttl_s=5)
    assert not control.renew_lease(9001, "B", ttl_s=5)
    control.release_lease(9001, "B")
    assert control.lease_holder(9001) == "A"
    control.release_lease(9001, "A")
    assert control.lease_holder(9001) is None


def test_commands_arrive_in_order_as_the_vocabulary_and_an_unknown_word_means_sync():
    """GIVEN a restart, a release and an unknown word left by some other sender WHEN taken THEN they come back
    oldest first as Commands, the unknown one as a sync (look at the stream again), and the list is empty."""
    control.clear_commands(9002)
    control.send_command(9002, Command.RESTART)
    control.send_command(9002, Command.RELEASE)
    control.redis_client().rpush("streamvision:stream:9002:commands", "reboot")
    assert control.take_commands(9002, wait_s=1) == [Command.RESTART, Command.RELEASE, Command.SYNC]
    assert control.take_commands(9002) == []


def test_a_sender_cannot_send_a_word_outside_the_vocabulary():
    """GIVEN a word that is no Command WHEN sent THEN it is refused and nothing is queued."""
    control.clear_commands(9003)
    with pytest.raises(ValueError, match="reboot"):
        control.send_command(9003, "reboot")  # type: ignore[arg-type]
    assert control.take_commands(9003) == []
