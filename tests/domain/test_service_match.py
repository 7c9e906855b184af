"""Which service a customer's words name, and what they rule out ("all windows except windshield")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadorch.domain.service_match import match_services

CATALOG = {
    "ultimate": "Ultimate Tint Package",
    "supreme": "Supreme Tint Package",
    "premium": "Premium Tint Package",
    "windshield": "Windshield Ceramic Tint",
    "front": "Front Two Windows Tint",
    "removal": "Tint Removal",
}
GENERIC = ["the", "a", "and", "of", "with", "for", "package", "tint", "tinting", "window", "windows", "film"]


@pytest.mark.parametrize(
    ("text", "named", "excluded"),
    [
        ("Ceramic tint, all windows except windshield", None, {"windshield"}),
        ("ceramic tint but not the windshield please", None, {"windshield"}),
        ("everything without the windshield", None, {"windshield"}),
        ("ceramic, no windshield", None, {"windshield"}),
        ("Ultimate tint except for the windshield", "ultimate", {"windshield"}),
        ("not the premium, the supreme", "supreme", {"premium"}),
        ("all windows except windshield and front windows", None, {"windshield", "front"}),
        ("todo menos el parabrisas, el ultimate", "ultimate", set()),
        ("sin windshield, supreme", "supreme", {"windshield"}),
        ("windshield ceramic tint", "windshield", set()),
        ("ceramic tint", "windshield", set()),
        ("the ultimate one", "ultimate", set()),
        ("Ultimate Tint Package", "ultimate", set()),
        ("supreme or premium?", None, set()),
        ("how much is tint removal", "removal", set()),
        ("tint", None, set()),
        ("", None, set()),
    ],
)
def test_what_the_words_name_and_rule_out(text: str, named: str | None, excluded: set[str]) -> None:
    match = match_services(text, CATALOG, GENERIC)

    assert match.named == named
    assert set(match.excluded) == excluded
    assert not set(match.candidates) & excluded


def test_plural_and_singular_words_match_each_other() -> None:
    assert match_services("no windshields please", CATALOG, GENERIC).excluded == ("windshield",)
    assert match_services("removals", CATALOG, GENERIC).named == "removal"


@given(st.sampled_from(sorted(CATALOG)), st.text(max_size=40))
def test_a_service_ruled_out_is_never_the_one_named(service_id: str, other: str) -> None:
    distinctive = [w for w in CATALOG[service_id].lower().split() if w not in GENERIC]
    text = f"{other}, except {' '.join(distinctive)}"

    match = match_services(text, CATALOG, GENERIC)

    assert match.named != service_id
    assert service_id in match.excluded
