"""Render the roles' firmware-config templates with the roles' defaults, without Ansible, so fast
tests can feed the result to the agent's and the collector's own config loaders."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import yaml

from tests.ansible.deployment import ANSIBLE_DIR, REPO

FIRMWARE_CONFIG = REPO / "firmware-config"


def _comment(text: str) -> str:
    return "#\n" + "".join(f"# {line}\n" for line in str(text).splitlines()) + "#"


def _environment() -> jinja2.Environment:
    # Ansible's template defaults: trim_blocks on, lstrip_blocks off, undefined is an error.
    env = jinja2.Environment(  # noqa: S701 - config files, not HTML
        trim_blocks=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    env.filters.update(
        comment=_comment,
        bool=lambda v: v if isinstance(v, bool) else str(v).lower() in ("1", "true", "yes", "on"),
        to_json=json.dumps,
        dirname=lambda p: str(Path(p).parent),
        combine=lambda *dicts: {k: v for d in dicts for k, v in d.items()},
        urlsplit=lambda url, part: getattr(urlsplit(url), part),
    )
    env.tests["match"] = lambda value, pattern: re.match(pattern, str(value)) is not None
    return env


def role_defaults(role: str, **facts: Any) -> dict[str, Any]:
    """The role's defaults and vars, with their Jinja2 references resolved."""
    role_dir = ANSIBLE_DIR / "roles" / role
    values: dict[str, Any] = {"role_path": str(role_dir), **facts}
    for part in ("defaults", "vars"):
        path = role_dir / part / "main.yml"
        if path.exists():
            values.update(yaml.safe_load(path.read_text()) or {})
    env = _environment()
    for _ in range(6):  # references nest a few levels deep
        values = {k: _resolve(env, v, values) for k, v in values.items()}
    return values


def _resolve(env: jinja2.Environment, value: Any, context: dict[str, Any]) -> Any:
    if isinstance(value, str) and "{{" in value:
        try:
            rendered = env.from_string(value).render(context)
        except jinja2.UndefinedError:
            return value
        return yaml.safe_load(rendered) if rendered.startswith(("[", "{")) else rendered
    if isinstance(value, list):
        return [_resolve(env, item, context) for item in value]
    return value


def render(template: str, variables: dict[str, Any]) -> str:
    """Render firmware-config/<template> as the role's template task would."""
    env = _environment()
    source = (FIRMWARE_CONFIG / template).read_text()
    return env.from_string(source).render({"ansible_managed": "Ansible managed", **variables})


def evaluate(expression: str, variables: dict[str, Any]) -> Any:
    """A task's condition (``when:``, an assert's ``that:``) evaluated as Ansible would."""
    return _environment().compile_expression(expression)(variables)
