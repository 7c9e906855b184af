"""The Jinja2 environments templates run in.

Tenants edit templates, so they run sandboxed (`ImmutableSandboxedEnvironment`: no access to Python
internals, no mutating the values passed in) and with `StrictUndefined`, so an unknown name or
attribute is an error instead of an empty string in a customer's inbox. HTML bodies autoescape the
values; subjects, plain text and SMS do not (they are not HTML).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import ImmutableSandboxedEnvironment


def sentence(values: Iterable[str] | str) -> str:
    """["tint"] -> "tint"; ["tint", "strip"] -> "tint and strip"; three or more get commas."""
    if isinstance(values, str):
        return values
    items = [str(value) for value in values if str(value).strip()]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _environment(*, html: bool) -> ImmutableSandboxedEnvironment:
    environment = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    environment.filters["sentence"] = sentence
    return environment


TEXT_ENVIRONMENT = _environment(html=False)
HTML_ENVIRONMENT = _environment(html=True)


def environment_for(*, html: bool) -> ImmutableSandboxedEnvironment:
    return HTML_ENVIRONMENT if html else TEXT_ENVIRONMENT


@lru_cache(maxsize=1024)
def compiled(source: str, *, html: bool) -> Template:
    """The compiled template (cached: the same default templates are rendered for every lead)."""
    return environment_for(html=html).from_string(source)
