"""Remote commands from the collector: identify, reload_config, set_location, ping, day_key.set.

Every command gets exactly one ``command.result`` (PROTOCOL.md); an expired one is refused with
``ok: false, detail: "expired"`` and not executed. A payload that does not decode is logged and
dropped: without a sound envelope there is no command id to answer.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Protocol

from agent.clock import Clock
from agent.envelopes import Envelopes
from agent.errors import AgentError
from agent.incoming import Command, parse_command
from agent.wire import CommandResultBody, encode
from protocols.errors import ProtocolError

_LOGGER = logging.getLogger(__name__)

REMEMBERED_RESULTS = 256
"""Results kept by command id: a command delivered twice (QoS 1 over a persistent session) is
answered again with its first result, never executed twice."""


class CommandActions(Protocol):
    """What the runtime lets a command do."""

    def identify(self, seconds: float) -> str: ...

    def reload_config(self) -> str: ...

    def set_location(self, lat: float, lon: float, accuracy_m: float | None) -> str: ...

    def set_day_key(self, scheme: str, office: str, day: date, key: bytes) -> str: ...


class CommandHandler:
    def __init__(
        self,
        device_id: str,
        clock: Clock,
        envelopes: Envelopes,
        actions: CommandActions,
        publish_result: Callable[[bytes], object],
    ) -> None:
        self._device = device_id
        self._clock = clock
        self._envelopes = envelopes
        self._actions = actions
        self._publish = publish_result
        self.handled = 0
        self._results: OrderedDict[str, CommandResultBody] = OrderedDict()

    def handle(self, payload: bytes) -> CommandResultBody | None:
        """Execute one command payload and publish its result; return the result body."""
        try:
            command = parse_command(self._device, payload)
        except ProtocolError as exc:
            _LOGGER.warning("command rejected: %s (%s)", exc.reason, exc.code)
            return None
        earlier = self._results.get(str(command.id))
        if earlier is not None:
            _LOGGER.info(
                "command %s %s delivered again: answered, not run", command.type, command.id
            )
            self._publish(encode(self._envelopes.command_result(earlier)))
            return earlier
        if command.expired(self._clock.now()):
            ok, detail = False, "expired"
        else:
            try:
                ok, detail = True, self._run(command)
            except AgentError as exc:
                ok, detail = False, str(exc)
            except (OSError, ValueError) as exc:  # e.g. a full disk while remembering a location
                ok, detail = False, f"failed: {type(exc).__name__}: {exc}"
        body = CommandResultBody(command=command.id, ok=ok, detail=detail[:200])
        self.handled += 1
        self._results[str(command.id)] = body
        while len(self._results) > REMEMBERED_RESULTS:
            self._results.popitem(last=False)
        _LOGGER.info("command %s %s: ok=%s %s", command.type, command.id, ok, detail[:80])
        self._publish(encode(self._envelopes.command_result(body)))
        return body

    def _run(self, command: Command) -> str:
        args = command.args
        if command.type == "identify":
            return self._actions.identify(args["seconds"])
        if command.type == "reload_config":
            return self._actions.reload_config()
        if command.type == "set_location":
            return self._actions.set_location(args["lat"], args["lon"], args["accuracy_m"])
        if command.type == "day_key.set":  # cf2 key delivery (issue 13); the key is not logged
            key = bytes.fromhex(args["key"])
            return self._actions.set_day_key(args["scheme"], args["office"], args["date"], key)
        return "pong"
