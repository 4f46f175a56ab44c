"""Child processes of the ingest benchmark: ``python -m tests.bench.ingest.roles ROLE ...``.

- ``publish URL DEVICES PER_DEVICE FIRST_SEQ RATE PREFIX``: QoS 1 ratings, windows of <= 1000 in
  flight; RATE 0 = as fast as possible, else one JSON line per published seq round (latency).
- ``bare URL CLIENT_ID EXPECTED prepare|drain 5|3.1.1``: a bare paho subscriber with manual acks
  (count and acknowledge, nothing else); prints count, seconds first -> last, CPU seconds.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from protocols import Channel, Rating, RatingBody, encode, new_message_id, now, topic

WINDOW = 1000
SESSION_EXPIRY = 3600
EVENTS_FILTER = "cf/v1/devices/+/events"


def device_ids(count: int, prefix: str = "bench-dev") -> list[str]:
    return [f"{prefix}-{i:04d}" for i in range(count)]


def event(device: str, seq: int) -> bytes:
    body = RatingBody(session=None, score=1 + seq % 5, scale=5, verified=bool(seq % 2))
    return encode(Rating(v=1, id=new_message_id(), device=device, ts=now(), seq=seq, body=body))


def split_url(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("mqtt://").split(":")
    return host, int(port)


def publish(args: list[str]) -> None:
    """``args``: url, devices, per_device, first_seq, rate, device id prefix."""
    url, prefix = args[0], args[5]
    devices, per_device, first_seq = int(args[1]), int(args[2]), int(args[3])
    rate = float(args[4])
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{uuid.uuid4().hex[:6]}")
    client.max_inflight_messages_set(WINDOW)
    client.max_queued_messages_set(0)
    client.connect(*split_url(url))
    client.loop_start()
    ids = device_ids(devices, prefix)
    topics = {d: topic(d, Channel.EVENTS) for d in ids}
    pending: list[mqtt.MQTTMessageInfo] = []
    start = time.perf_counter()
    sent = 0
    for seq in range(first_seq, first_seq + per_device):
        stamp = time.time()
        for d in ids:
            pending.append(client.publish(topics[d], event(d, seq), qos=1))
            sent += 1
            if len(pending) >= WINDOW:
                for info in pending:
                    info.wait_for_publish(60)
                pending.clear()
        if rate > 0:
            print(json.dumps({"seq": seq, "t": stamp}), flush=True)
            delay = start + sent / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
    for info in pending:
        info.wait_for_publish(60)
    client.disconnect()
    client.loop_stop()


def bare(url: str, client_id: str, expected: int, prepare: bool, version: str) -> None:
    v5 = version == "5"
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
        manual_ack=True,
        clean_session=None if v5 else False,
    )
    count = 0
    first = last = 0.0
    cpu_first = cpu_last = 0.0
    done = threading.Event()
    subscribed = threading.Event()

    def on_message(c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        nonlocal count, first, last, cpu_first, cpu_last
        c.ack(msg.mid, msg.qos)
        count += 1
        last = time.perf_counter()
        cpu_last = time.process_time()
        if count == 1:
            first, cpu_first = last, cpu_last
        if count >= expected:
            done.set()

    client.on_message = on_message
    client.on_subscribe = lambda *_a: subscribed.set()
    if v5:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = SESSION_EXPIRY
        client.connect(*split_url(url), clean_start=False, properties=props)
    else:
        client.connect(*split_url(url))
    client.subscribe(EVENTS_FILTER, qos=1)
    client.loop_start()
    if prepare:  # the persistent session exists once the broker granted the subscription
        if not subscribed.wait(30):
            raise RuntimeError("bare subscriber: no SUBACK within 30 s")
    else:
        done.wait(600)
    client.disconnect()
    client.loop_stop()
    print(
        json.dumps({"count": count, "seconds": last - first, "cpu": cpu_last - cpu_first}),
        flush=True,
    )


def main(argv: list[str]) -> int:
    role, args = argv[0], argv[1:]
    if role == "publish":
        publish(args)
    elif role == "bare":
        bare(args[0], args[1], int(args[2]), args[3] == "prepare", args[4])
    else:
        print(f"unknown role {role}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
