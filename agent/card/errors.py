"""The card module's error tree. Messages never carry card data (no citizen id, no names)."""

from __future__ import annotations


class CardError(Exception):
    """Base of every error raised while reading a card; ``code`` is the fault code it maps to."""

    code = "card_error"


class CardStatusError(CardError):
    """The card answered a status word the command does not allow (unexpected or an error)."""

    def __init__(self, command: str, sw1: int, sw2: int) -> None:
        super().__init__(f"{command}: card answered status {sw1:02X} {sw2:02X}")
        self.command = command
        self.sw1 = sw1
        self.sw2 = sw2


class NotThaiCardError(CardError):
    """The card has no MOI applet (SELECT refused): not a Thai national ID card."""

    code = "not_thai_card"


class MuteCardError(CardError):
    """The card does not answer (no ATR, or no answer to a command within the read timeout)."""

    code = "mute_card"


class BadChecksumError(CardError):
    """The citizen id on the card fails its check digit (damaged card or not a Thai ID)."""

    code = "bad_checksum"


class CardDataError(CardError):
    """A field read from the card is not in the documented format (the message names the field)."""

    code = "card_error"


class ReadInterruptedError(CardError):
    """The card went away (or the reader failed) in the middle of a read."""

    code = "read_interrupted"


class KeyFileError(CardError):
    """The day-key file is unusable: wrong owner or mode, unreadable or malformed."""

    code = "day_key_file"
