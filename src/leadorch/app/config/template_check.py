"""Save-time checks of a tenant's own message templates, so nothing fails when a touch is sent.

The rules (known fields only, valid Jinja2, renders with a sample lead, SMS within the segment limit)
belong to `leadorch.app.messages`; this module applies them to the tenant's templates merged over the
defaults, with the generic sample and with each of the tenant's locations' own name, phone and address,
since those change how long an SMS is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec

from leadorch.app.config.errors import InvalidConfiguration
from leadorch.app.config.models import LocationConfig, TouchTemplate, merged_templates


def check_templates(
    templates: Mapping[int, TouchTemplate], locations: Sequence[LocationConfig], max_sms_segments: int
) -> None:
    """Raise `InvalidConfiguration` naming the touch and part of the first template that cannot be used."""
    from leadorch.app.messages.context import SAMPLE_CONTEXT
    from leadorch.app.messages.defaults import DEFAULT_TEMPLATES
    from leadorch.app.messages.errors import TemplateConfigurationError
    from leadorch.app.messages.validation import validate_template

    samples = [SAMPLE_CONTEXT] + [
        msgspec.structs.replace(
            SAMPLE_CONTEXT,
            location_name=location.name,
            location_phone=location.phone or SAMPLE_CONTEXT.location_phone,
            location_address=location.address or SAMPLE_CONTEXT.location_address,
        )
        for location in locations
    ]
    # Every touch, not only the ones the tenant rewrote: a segment limit the default wording cannot
    # meet would fail every one of those texts at send time.
    for number in sorted(set(DEFAULT_TEMPLATES) | set(templates)):
        base = DEFAULT_TEMPLATES.get(number) or DEFAULT_TEMPLATES[max(DEFAULT_TEMPLATES)]
        merged = merged_templates(base, templates.get(number) or TouchTemplate())
        for sample in samples:
            try:
                validate_template(merged, sample=sample, max_sms_segments=max_sms_segments)
            except TemplateConfigurationError as error:
                where = "" if sample is SAMPLE_CONTEXT else f" (with location {sample.location_name!r})"
                raise InvalidConfiguration(f"template for touch {number}: {error}{where}") from None
