"""Writes src/leadorch/adapters/us_area_codes.py: US area code → state, from libphonenumber's geocoder.

The geocoder's data takes ~15 s to import (every country, every language), too slow for every process
that reads a number; the US part we need is a few hundred rows. Run this after upgrading `phonenumbers`
(`uv run python scripts/generate_us_area_codes.py`); `tests/adapters/test_phone_geography.py` fails while
the committed table and the installed geocoder disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

import phonenumbers
from phonenumbers.geodata import GEOCODE_DATA

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from leadorch.adapters.phone_geography import state_of

TARGET = Path(__file__).resolve().parents[1] / "src" / "leadorch" / "adapters" / "us_area_codes.py"


def table() -> dict[str, str]:
    """Area code → state for every area code the geocoder places in one US state."""
    states: dict[str, set[str | None]] = {}
    for prefix, names in GEOCODE_DATA.items():
        if len(prefix) < 4 or not prefix.startswith("1") or "en" not in names:
            continue
        area = prefix[1:4]
        states.setdefault(area, set()).add(state_of(names["en"]))
    rows: dict[str, str] = {}
    for area, found in sorted(states.items()):
        example = phonenumbers.parse(f"+1{area}2010000")
        if phonenumbers.region_code_for_number(example) != "US" and found == {None}:
            continue
        known = found - {None}
        if len(known) == 1:
            rows[area] = known.pop()
    return rows


def main() -> None:
    rows = table()
    body = "\n".join(f'    "{area}": "{state}",' for area, state in rows.items())
    TARGET.write_text(
        '"""US area code → state, generated from libphonenumber\'s geocoder by '
        "scripts/generate_us_area_codes.py (phonenumbers "
        f'{phonenumbers.__version__}): do not edit by hand."""\n\n'
        f"AREA_CODE_STATES: dict[str, str] = {{\n{body}\n}}\n"
    )
    print(f"{len(rows)} area codes written to {TARGET}")


if __name__ == "__main__":
    main()
