"""A subprocess for the kill -9 test: appends events forever, printing ``seq id`` after each
commit returns, and every 50th event acknowledges up to 20 seqs back."""

from __future__ import annotations

import sys
from pathlib import Path

from agent.outbox import Outbox
from protocols import Rating, RatingBody, new_message_id, now


def main() -> None:
    outbox = Outbox(Path(sys.argv[1]), "kill-test-01")
    body = RatingBody(session=None, score=3, scale=5, verified=False)
    while True:
        event = outbox.append(
            lambda seq: Rating(
                v=1, id=new_message_id(), device="kill-test-01", ts=now(), seq=seq, body=body
            )
        )
        seq = event.seq  # type: ignore[attr-defined]
        sys.stdout.write(f"{seq} {event.id}\n")  # type: ignore[attr-defined]
        sys.stdout.flush()
        if seq % 50 == 0:
            outbox.ack(seq - 20)


if __name__ == "__main__":
    main()
