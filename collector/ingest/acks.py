"""End-to-end acknowledgements: after each commit, the retained ``acks`` of every device concerned.

The value comes from the commit's own result (computed from committed rows inside the transaction),
for registered and unknown devices alike; a device ignores a value lower than one it has seen.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol

from protocols import Ack, Channel, encode, topic

_LOGGER = logging.getLogger(__name__)


class Publisher(Protocol):
    def publish(self, topic_name: str, payload: bytes, channel: Channel) -> None: ...


def publish_acks(publisher: Publisher, acked: Mapping[str, int]) -> int:
    """Publish ``acked_seq`` for each device; return how many acks were published."""
    for device, acked_seq in acked.items():
        payload = encode(Ack(v=1, device=device, acked_seq=acked_seq))
        publisher.publish(topic(device, Channel.ACKS), payload, Channel.ACKS)
    if acked:
        _LOGGER.debug("published acks for %s devices", len(acked))
    return len(acked)
