"""The counter runtime: wires card, panel, session, outbox, delivery, MQTT, heartbeat, location.

:class:`Agent` takes its hardware as keyword arguments (card source, pin factory, location
source, clock), so the fleet simulator can build many agents in one process with simulated
parts; ``python -m agent run`` builds one with the real parts the config names. Call
:meth:`Agent.start`, then either :meth:`Agent.run` (blocks, ticking) or :meth:`Agent.tick`
from your own loop, and :meth:`Agent.stop`.
"""

from __future__ import annotations

import logging
import math
import threading
from datetime import date
from pathlib import Path
from typing import Any

from gpiozero.pins import Factory

from agent.card.interface import CardSource, ReaderStatus
from agent.clock import Clock, SystemClock
from agent.commands import CommandHandler
from agent.config import AgentConfig, load_config
from agent.day_key_delivery import install_delivered_key
from agent.delivery import Delivery
from agent.envelopes import Envelopes, EventBody
from agent.errors import AgentError, OutboxError
from agent.heartbeat import read_system
from agent.incoming import parse_ack
from agent.liveness import Workers
from agent.location import GpsdSource, LocationSource, LocationTracker, remembered_location_path
from agent.notify import Notifier
from agent.outbox import Outbox, OutboxLimits
from agent.panel import Panel, PanelError, StatusLight
from agent.publisher import Publisher
from agent.session import SessionMachine
from agent.wire import FaultBody, HeartbeatBody, LocationBody, encode
from protocols.errors import ProtocolError
from protocols.topics import Channel

_LOGGER = logging.getLogger(__name__)

TICK_S = 0.2


def open_card_source(config: AgentConfig, details: Any = None) -> CardSource | None:
    """The reader back-end the ``[card]`` section names (None for ``backend = "none"``);
    ``details`` is the officer view's listener when ``[officer_view]`` is enabled.

    A bad day-key file or a missing PC/SC library stops the agent here, with one line.
    """
    if config.card.backend == "none":
        return None
    try:
        from agent.card.errors import CardError  # noqa: PLC0415
        from agent.card.factory import open_card_source as factory  # noqa: PLC0415
    except ImportError as exc:
        raise AgentError(f"card backend {config.card.backend!r} is not available: {exc}") from exc
    try:
        return factory(config.card, details=details, details_photo=config.officer_view.photo)
    except ImportError as exc:
        raise AgentError(f"card backend {config.card.backend!r} is not available: {exc}") from exc
    except CardError as exc:
        raise AgentError(f"card reader: {exc}") from exc


def pin_factory_for(config: AgentConfig) -> Factory | None:
    if config.panel.pin_factory == "mock":
        from gpiozero.pins.mock import MockFactory  # noqa: PLC0415

        return MockFactory()
    return None


class Agent:
    """One counter device: everything between the hardware and the broker."""

    def __init__(
        self,
        config: AgentConfig,
        *,
        config_path: Path | None = None,
        card_source: CardSource | None = None,
        pin_factory: Factory | None = None,
        location_source: LocationSource | None = None,
        clock: Clock | None = None,
        notifier: Notifier | None = None,
        officer_view: Any = None,
    ) -> None:
        self.config = config
        self.officer_view = officer_view  # agent.officer_view.service.OfficerView, or None
        self.config_path = config_path
        self.clock = clock or SystemClock()
        self.notifier = notifier or Notifier({})
        device = config.device.id
        self.envelopes = Envelopes(device, self.clock)
        out = config.outbox
        self.outbox = Outbox(
            out.path,
            device,
            OutboxLimits(
                max_events=out.max_events,
                max_bytes=int(out.max_mb * 1e6),
                min_disk_free_bytes=int(out.min_disk_free_mb * 1e6),
            ),
        )
        self.delivery = Delivery(
            self.outbox,
            self.clock,
            window=config.mqtt.window,
            republish_after_s=out.republish_after_s,
        )
        self.panel: Panel | None = None
        self.panel_status: str = "ok"
        panel_error: str | None = None
        if config.panel.enabled:
            try:
                self.panel = Panel(config.panel, pin_factory=pin_factory)
            except PanelError as exc:
                self.panel_status, panel_error = "fault", str(exc)[:200]
        self.card_source = card_source
        self.location_source = location_source
        self.session = SessionMachine(
            config.session,
            emit=self.emit,
            clock=self.clock,
            scale=config.panel.scale,
            has_reader=card_source is not None,
            panel=self.panel,
        )
        self.publisher = Publisher(config.mqtt, device, config.device.sw_version, self)
        self.commands = CommandHandler(
            device,
            self.clock,
            self.envelopes,
            self,
            lambda payload: self.publisher.publish(Channel.COMMAND_RESULTS, payload),
        )
        self.location = LocationTracker(
            config.location,
            self.clock,
            self._publish_location,
            remembered_location_path(out.path),
        )
        self._started = self.clock.monotonic()
        self._heartbeat_at = -math.inf
        self._watchdog_at = -math.inf
        self._stop = threading.Event()
        if officer_view is not None:
            officer_view.bind(self.session.copy_made)
        self.workers = Workers()
        self._watch_workers()
        if panel_error is not None:
            _LOGGER.error("panel unavailable: %s", panel_error)
            self.emit(FaultBody(component="panel", code="gpio_unavailable", detail=panel_error))

    # -- events ----------------------------------------------------------------------------
    def emit(self, body: EventBody) -> None:
        """Commit one event to the outbox (with its seq), then let delivery send it."""
        try:
            self.outbox.append(self.envelopes.event(body))
        except (OutboxError, ProtocolError) as exc:
            _LOGGER.error("event not stored: %s", exc)
            return
        self.delivery.pump()

    # -- lifecycle -------------------------------------------------------------------------
    def _watch_workers(self) -> None:
        pub = self.publisher
        self.workers.watch(
            "mqtt", lambda: pub.thread, beat=lambda: pub.last_beat, stuck_after_s=pub.stuck_after_s
        )
        self.workers.watch("card", lambda: getattr(self.card_source, "thread", None))
        self.workers.watch("gps", lambda: getattr(self.location_source, "thread", None))

    def start(self) -> None:
        if self.panel is not None:
            self.panel.bind(self.session)
        if self.card_source is not None:
            self.card_source.start(self.session)
        if self.location_source is not None:
            self.location_source.start(self.location.on_fix)
        self.publisher.start()
        if self.officer_view is not None:
            self.officer_view.start()
        self._update_status_light()
        self.notifier.ready()

    def run(self) -> None:
        """Tick until :meth:`request_stop`."""
        while not self._stop.wait(TICK_S):
            self.tick()

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self) -> None:
        self.notifier.stopping()
        self._stop.set()
        for source in (self.card_source, self.location_source):
            if source is not None:
                source.stop()
        if self.officer_view is not None:
            self.officer_view.stop()
        self.publisher.stop()
        self.delivery.pump()  # apply the acks already received before the outbox closes
        if self.panel is not None:
            self.panel.close()
        self.outbox.close()

    def tick(self) -> None:
        """Deadlines, periodic publications and the watchdog; call every ~0.2 s."""
        self.session.tick()
        if self.officer_view is not None:
            self.officer_view.tick()
        self.location.tick()
        self.delivery.pump()
        t = self.clock.monotonic()
        if t - self._heartbeat_at >= self.config.heartbeat.interval_s:
            self._heartbeat_at = t
            self.publish_heartbeat()
        self._update_status_light()
        interval = self.notifier.watchdog_interval()
        if interval is not None and t - self._watchdog_at >= interval:
            self._watchdog_at = t
            problems = self.workers.problems()
            if problems:  # no WATCHDOG=1: systemd restarts the agent (issue 13, defect 4)
                _LOGGER.error("watchdog not fed: workers=%s", ",".join(problems))
            else:
                self.notifier.watchdog()

    # -- status ----------------------------------------------------------------------------
    @property
    def reader_status(self) -> ReaderStatus:
        return self.card_source.status if self.card_source is not None else "absent"

    def _update_status_light(self) -> None:
        if self.panel is None:
            return
        if self.reader_status == "error" or self.panel_status == "fault":
            self.panel.set_status(StatusLight.FAULT)
        elif not self.publisher.connected:
            self.panel.set_status(StatusLight.OFFLINE)
        else:
            self.panel.set_status(StatusLight.OK)

    def heartbeat_body(self) -> HeartbeatBody:
        figures = read_system(self.config.outbox.path.parent)
        return HeartbeatBody(
            uptime_s=max(0.0, self.clock.monotonic() - self._started),
            sw_version=self.config.device.sw_version,
            last_seq=self.outbox.last_seq,
            outbox_depth=self.outbox.depth,
            outbox_oldest_s=self.outbox.oldest_age_s(),
            reader=self.reader_status,
            panel=self.panel_status,  # type: ignore[arg-type]
            gps=self.location_source.status if self.location_source else "absent",
            clock_synced=figures.clock_synced,
            cpu_temp_c=figures.cpu_temp_c,
            load1=figures.load1,
            mem_used_pct=figures.mem_used_pct,
            disk_free_mb=figures.disk_free_mb,
            misuse_presses=self.session.misuse_presses,
            lost_events=self.outbox.lost_total,
        )

    def publish_heartbeat(self) -> None:
        if self.publisher.connected:
            self.publisher.publish(
                Channel.HEARTBEAT, encode(self.envelopes.heartbeat(self.heartbeat_body()))
            )

    def _publish_location(self, body: LocationBody) -> bool:
        payload = encode(self.envelopes.location(body))
        return self.publisher.publish(Channel.LOCATION, payload) is not None

    # -- ConnectionListener ----------------------------------------------------------------
    def connected(self) -> None:
        self._heartbeat_at = -math.inf  # a heartbeat right after (re)connecting
        self.delivery.connected(self.publisher)
        self.location.connected()
        self.delivery.pump()
        self._update_status_light()

    def disconnected(self) -> None:
        self.delivery.disconnected()
        self._update_status_light()

    def message(self, channel: Channel, payload: bytes) -> None:
        if channel is Channel.ACKS:
            try:
                acked_seq = parse_ack(self.config.device.id, payload)
            except ProtocolError as exc:
                _LOGGER.warning("ack rejected: %s", exc.reason)
                return
            self.delivery.acked(acked_seq)
            self.delivery.pump()
        elif channel is Channel.COMMANDS:
            self.commands.handle(payload)

    def puback(self, mid: int, ok: bool) -> None:
        self.delivery.puback(mid, ok)

    def flush(self) -> None:
        self.delivery.pump()

    # -- CommandActions --------------------------------------------------------------------
    def identify(self, seconds: float) -> str:
        if self.panel is None:
            raise AgentError("no panel to blink")
        self.panel.identify(seconds)
        return f"blinking for {seconds:g} s"

    def set_location(self, lat: float, lon: float, accuracy_m: float | None) -> str:
        self.location.set_provisioned(lat, lon, accuracy_m)
        return "location set"

    def set_day_key(self, scheme: str, office: str, day: date, key: bytes) -> str:
        return install_delivered_key(self.config, scheme, office, day, key)

    def reload_config(self) -> str:
        """Apply what can change live (session, heartbeat, location, republish timeout)."""
        if self.config_path is None:
            raise AgentError("no config file to reload")
        new = load_config(self.config_path)
        self.session.settings = new.session
        self.location.settings = new.location
        self.delivery.republish_after_s = new.outbox.republish_after_s
        restart = [
            name
            for name in ("device", "mqtt", "panel", "card", "officer_view")
            if getattr(new, name) != getattr(self.config, name)
        ]
        if new.outbox.replace(republish_after_s=1.0) != self.config.outbox.replace(
            republish_after_s=1.0
        ):
            restart.append("outbox")
        self.config = new
        if restart:
            return "reloaded; restart needed for: " + ", ".join(restart)
        return "reloaded"


def build_agent(config: AgentConfig, config_path: Path | None = None, **kwargs: Any) -> Agent:
    """An agent with the real parts the config names (the ``run`` command)."""
    location: LocationSource | None = None
    if config.location.gpsd:
        location = GpsdSource(config.location.gpsd_host, config.location.gpsd_port)
    officer = None
    if config.officer_view.enabled:  # the agency's PDPA decision; off by default
        from agent.officer_view.service import OfficerView  # noqa: PLC0415

        officer = OfficerView(config.officer_view)
    return Agent(
        config,
        config_path=config_path,
        card_source=open_card_source(config, officer.card if officer else None),
        officer_view=officer,
        pin_factory=pin_factory_for(config),
        location_source=location,
        **kwargs,
    )
