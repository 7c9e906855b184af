"""The chat page's text keeps a contrast of at least 4.5:1 (WCAG 2.x, level AA for normal text) in the
light and the dark colour scheme, computed from the colours in chat.css with the WCAG formula.

Each row of `TEXT_ON` names a rule of chat.css, the colour its text takes and the colour behind it;
every rule that sets a text colour must have a row, so a new one cannot slip through unchecked.
Disabled controls are exempt under WCAG 1.4.3 (inactive user interface components).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "src/leadorch/app/http/static/chat.css").read_text()
MINIMUM = 4.5

# (rule selector as written in chat.css, text colour, background behind it); None: the text colour is
# inherited, not set by the rule itself.
TEXT_ON: list[tuple[str, str, str]] = [
    ("body", "--text", "--bg"),
    (".msg.assistant .bubble", "--text", "--assistant"),
    (".msg.customer .bubble", "--customer-text", "--customer"),
    (".shop", "--text", "--surface"),
    (".shop-address", "--muted", "--surface"),
    (".shop-phone", "--brand-text", "--brand"),
    (".msg .by", "--muted", "--bg"),
    (".msg time", "--muted", "--bg"),
    (".welcome", "--muted", "--bg"),
    (".slot-button", "--brand-ink", "--surface"),
    (".slot-button:hover:not(:disabled), .slot-button:focus-visible", "--brand-text", "--brand"),
    (".appointment-card", "--text", "--surface"),
    (".appointment-card h2", "--muted", "--surface"),
    (".appointment-card .status", "--ok", "--surface"),
    (".appointment-card.cancelled .status", "--muted", "--surface"),
    (".notice", "--danger", "--danger-bg"),
    (".composer textarea", "--text", "--bg"),
    (".composer textarea::placeholder", "--muted", "--bg"),
    (".composer button", "--brand-text", "--brand"),
]


def _rules(css: str) -> dict[str, str]:
    """Selector → declarations, outside @media blocks."""
    flat = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    flat = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", flat)
    return {sel.strip(): body for sel, body in re.findall(r"([^{}]+)\{([^{}]*)\}", flat)}


def _variables(block: str) -> dict[str, str]:
    return dict(re.findall(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{6})\b", block))


def schemes() -> dict[str, dict[str, str]]:
    light = _variables(_rules(CSS)[":root"])
    dark_block = re.search(r"@media \(prefers-color-scheme: dark\)\s*\{\s*:root\s*\{([^}]*)\}", CSS)
    assert dark_block is not None, "chat.css has a dark colour scheme"
    return {"light": light, "dark": {**light, **_variables(dark_block.group(1))}}


def luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour #rrggbb."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio (L1 + 0.05) / (L2 + 0.05), the lighter colour's luminance first."""
    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_formula_gives_the_known_ratios() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near-miss grey
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("selector", "text", "background"), TEXT_ON, ids=[row[0] for row in TEXT_ON])
def test_text_has_at_least_4_5_to_1_contrast(scheme: str, selector: str, text: str, background: str) -> None:
    colours = schemes()[scheme]

    ratio = contrast(colours[text], colours[background])

    assert ratio >= MINIMUM, f"{scheme}: {selector} {text} on {background} is {ratio:.2f}:1"


def test_every_rule_that_colours_text_is_checked() -> None:
    rules = _rules(CSS)
    coloured = {
        selector: match.group(1)
        for selector, body in rules.items()
        if (match := re.search(r"(?<![-\w])color:\s*var\((--[\w-]+)\)", body))
    }
    table = {selector: text for selector, text, _ in TEXT_ON}

    assert set(coloured) <= set(table), (
        f"rules colouring text without a contrast row: {set(coloured) - set(table)}"
    )
    for selector, text in coloured.items():
        assert table[selector] == text, f"{selector} sets {text}, the table says {table[selector]}"
    assert set(table) <= set(rules), f"rows naming no rule of chat.css: {set(table) - set(rules)}"
