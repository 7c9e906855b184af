"""Checks a tenant's template when it is saved, so that nothing fails at send time.

A template is rejected, with an error naming the part and the problem, when it:
- is empty, or is not valid Jinja2 (syntax, unknown filter);
- uses a name that is not a `MessageContext` field (`{{ firstname }}` -> "unknown field 'firstname'");
- fails to render against a sample lead (a missing attribute, something the sandbox blocks);
- for SMS, renders the sample to more segments than the limit, counting the "Reply STOP to opt out."
  notice a first text gets, since any touch may be a lead's first text.
"""

from __future__ import annotations

from collections.abc import Callable

from jinja2 import TemplateSyntaxError, meta

from leadorch.app.messages.context import FIELD_NAMES, SAMPLE_CONTEXT, MessageContext
from leadorch.app.messages.environment import compiled, environment_for
from leadorch.app.messages.errors import MessageRenderingError, TemplateConfigurationError
from leadorch.app.messages.rendering import DEFAULT_MAX_SMS_SEGMENTS, render_email, render_sms
from leadorch.app.messages.templates import EmailTemplate, SmsTemplate, TouchTemplates


def validate_template(
    template: EmailTemplate | SmsTemplate | TouchTemplates,
    *,
    sample: MessageContext = SAMPLE_CONTEXT,
    max_sms_segments: int = DEFAULT_MAX_SMS_SEGMENTS,
) -> None:
    """Raise `TemplateConfigurationError` if `template` cannot be used (see the module docstring).

    Pass the tenant's own location values in `sample` when they are known: SMS length depends on them.
    """
    if isinstance(template, TouchTemplates):
        validate_template(template.email, sample=sample, max_sms_segments=max_sms_segments)
        validate_template(template.sms, sample=sample, max_sms_segments=max_sms_segments)
        return
    if isinstance(template, EmailTemplate):
        _check_source("email.subject", template.subject, html=False)
        _check_source("email.text", template.text, html=False)
        _check_source("email.html", template.html, html=True)
        _check_render(lambda: render_email(template, sample))
        return
    if isinstance(template, SmsTemplate):
        _check_source("sms.body", template.body, html=False)
        _check_render(lambda: render_sms(template, sample, max_sms_segments, opt_out_notice=True))
        return
    raise TypeError(
        f"expected an EmailTemplate, SmsTemplate or TouchTemplates, got {type(template).__name__}"
    )


def _check_source(part: str, source: str, *, html: bool) -> None:
    if not isinstance(source, str) or not source.strip():
        raise TemplateConfigurationError(part, "is empty")
    environment = environment_for(html=html)
    try:
        parsed = environment.parse(source)
        compiled(source, html=html)
    except TemplateSyntaxError as error:
        raise TemplateConfigurationError(
            part, f"syntax error on line {error.lineno}: {error.message}"
        ) from None
    unknown = sorted(meta.find_undeclared_variables(parsed) - FIELD_NAMES - set(environment.globals))
    if unknown:
        raise TemplateConfigurationError(
            part,
            f"unknown field {unknown[0]!r} (available fields: {', '.join(sorted(FIELD_NAMES))})",
            field=unknown[0],
        )


def _check_render(render: Callable[[], object]) -> None:
    try:
        render()
    except MessageRenderingError as error:
        raise TemplateConfigurationError(error.part, f"with a sample lead, {error.problem}") from None
