"""Typed config sections without pydantic: frozen dataclasses checked field by field.

The agent's config used pydantic models; pydantic alone is a quarter of an idle counter's memory
(issue 14 target 4), for a file read once at start. A :class:`Section` is a frozen dataclass
whose ``__post_init__`` converts each value to its annotated type the way pydantic's lax mode
does for TOML and ``CF_`` environment strings (``"30"`` to 30, ``"true"`` to True, a path string
to ``Path``, a table to its section), checks the bounds given with :func:`setting`, then runs the
section's own :meth:`Section.check`. A failure is :class:`FieldError`, whose location and
message read like pydantic's (``device.id``, ``String should match pattern ...``), so
``load_config`` still reports one line naming the field.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal, Self, TypeVar, dataclass_transform

_MISSING = dataclasses.MISSING
T = TypeVar("T")


class FieldError(ValueError):
    """A value that does not fit its field; ``loc`` is the path of names to it."""

    def __init__(self, loc: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message

    def inside(self, name: str) -> FieldError:
        return FieldError((name, *self.loc), self.message)


class Secret:
    """A string that prints as stars (a broker password): ``get_secret_value()`` reads it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclasses.dataclass(frozen=True, slots=True)
class Bounds:
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None

    def check(self, value: Any) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if self.ge is not None and value < self.ge:
                raise FieldError((), f"Input should be greater than or equal to {_num(self.ge)}")
            if self.gt is not None and value <= self.gt:
                raise FieldError((), f"Input should be greater than {_num(self.gt)}")
            if self.le is not None and value > self.le:
                raise FieldError((), f"Input should be less than or equal to {_num(self.le)}")
        if isinstance(value, str):
            if self.pattern is not None and not re.search(self.pattern, value):
                raise FieldError((), f"String should match pattern '{self.pattern}'")
            if self.min_length is not None and len(value) < self.min_length:
                raise FieldError((), f"String should have at least {self.min_length} character")
            if self.max_length is not None and len(value) > self.max_length:
                raise FieldError((), f"String should have at most {self.max_length} characters")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def setting(
    default: Any = _MISSING,
    *,
    default_factory: Callable[[], Any] | None = None,
    description: str = "",
    **bounds: Any,
) -> Any:
    """A field with a default (or factory), bounds (``ge``, ``gt``, ``le``, ``pattern``,
    ``min_length``, ``max_length``, applied to the value or to each item of a list) and a
    description."""
    metadata = {"bounds": Bounds(**bounds), "description": description}
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


_UNKNOWN = "unknown field (check the spelling against agent.example.toml)"
_TRUE = {"true", "1", "yes", "on", "t", "y"}
_FALSE = {"false", "0", "no", "off", "f", "n"}


def _convert(value: Any, kind: Any) -> Any:  # noqa: PLR0911, PLR0912 - one branch per kind
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        inner = [o for o in options if o is not type(None)]
        return _convert(value, inner[0])
    if origin is Literal:
        options = typing.get_args(kind)
        for option in options:
            if value == option and type(value) is type(option):
                return option
            if isinstance(value, str) and not isinstance(option, str) and value == str(option):
                return option
        listed = [repr(o) for o in options]
        text = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " or " + listed[-1]
        raise FieldError((), f"Input should be {text}")
    if origin is list:
        if not isinstance(value, list | tuple):
            raise FieldError((), "Input should be a valid list")
        (item,) = typing.get_args(kind)
        items = []
        for index, element in enumerate(value):
            try:
                items.append(_convert(element, item))
            except FieldError as exc:
                raise exc.inside(str(index)) from None
        return items
    if isinstance(kind, type) and issubclass(kind, Section):
        if isinstance(value, kind):
            return value
        if not isinstance(value, Mapping):
            raise FieldError((), "Input should be a valid dictionary")
        return kind.from_data(value)
    return _scalar(value, kind)


def _scalar(value: Any, kind: Any) -> Any:  # noqa: PLR0911, PLR0912 - one branch per type
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise FieldError((), "Input should be a valid boolean")
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise FieldError((), "Input should be a valid integer")
    if kind is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
            raise FieldError(
                (), "Input should be a valid number, unable to parse string as a number"
            )
        raise FieldError((), "Input should be a valid number")
    if kind is str:
        if isinstance(value, str):
            return value
        raise FieldError((), "Input should be a valid string")
    if kind is Path:
        if isinstance(value, str | Path):
            return Path(value)
        raise FieldError((), "Input should be a valid path")
    if kind is Secret:
        if isinstance(value, Secret):
            return value
        if isinstance(value, str):
            return Secret(value)
        raise FieldError((), "Input should be a valid string")
    raise TypeError(f"no conversion for {kind!r}")  # a programming error, not a config error


@dataclass_transform(frozen_default=True, field_specifiers=(setting, dataclasses.field))
class Section:
    """Base of every config section: subclasses are frozen dataclasses (``__init_subclass__``)."""

    _hints: ClassVar[dict[str, Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True)(cls)

    def __post_init__(self) -> None:
        cls = type(self)
        if "_hints" not in cls.__dict__:
            cls._hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            try:
                converted = _convert(value, cls._hints[field.name])
                bounds: Bounds = field.metadata.get("bounds", Bounds())
                if isinstance(converted, list):
                    for index, item in enumerate(converted):
                        try:
                            bounds.check(item)
                        except FieldError as exc:
                            raise exc.inside(str(index)) from None
                else:
                    bounds.check(converted)
            except FieldError as exc:
                raise exc.inside(field.name) from None
            object.__setattr__(self, field.name, converted)
        try:
            self.check()
        except ValueError as exc:
            if isinstance(exc, FieldError):
                raise
            raise FieldError((), str(exc)) from None

    def check(self) -> None:
        """Rules across fields; raise ValueError with one line."""

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        """A section from a table: unknown names refused, missing required ones named."""
        fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        for name in data:
            if name not in fields:
                raise FieldError((str(name),), _UNKNOWN)
        for name, field in fields.items():
            if name not in data and field.default is _MISSING and field.default_factory is _MISSING:
                raise FieldError((name,), "required field is missing")
        return cls(**data)

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes``, checked again."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def dump(self) -> dict[str, Any]:
        """Plain TOML-ready data: paths as strings, secrets in clear, None left out."""
        return {
            f.name: _dump(getattr(self, f.name))
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if getattr(self, f.name) is not None
        }


def _dump(value: Any) -> Any:
    if isinstance(value, Section):
        return value.dump()
    if isinstance(value, list):
        return [_dump(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Secret):
        return value.get_secret_value()
    return value
