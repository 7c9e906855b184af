"""Message templates: the default texts of the 13 touches, rendering, and save-time validation.

Call `validate_template` when a tenant saves a template, and `render_email` / `render_sms` when a touch
is sent; `DEFAULT_TEMPLATES` maps touch number (1..13) to a touch's email and SMS templates.
"""

from leadorch.app.messages.context import FIELD_NAMES, SAMPLE_CONTEXT, MessageContext
from leadorch.app.messages.defaults import DEFAULT_TEMPLATES
from leadorch.app.messages.errors import MessageRenderingError, SmsTooLong, TemplateConfigurationError
from leadorch.app.messages.rendering import (
    DEFAULT_MAX_SMS_SEGMENTS,
    OPT_OUT_NOTICE,
    RenderedEmail,
    render_email,
    render_sms,
)
from leadorch.app.messages.templates import EmailTemplate, SmsTemplate, TouchTemplates
from leadorch.app.messages.validation import validate_template

__all__ = [
    "DEFAULT_MAX_SMS_SEGMENTS",
    "DEFAULT_TEMPLATES",
    "FIELD_NAMES",
    "OPT_OUT_NOTICE",
    "SAMPLE_CONTEXT",
    "EmailTemplate",
    "MessageContext",
    "MessageRenderingError",
    "RenderedEmail",
    "SmsTemplate",
    "SmsTooLong",
    "TemplateConfigurationError",
    "TouchTemplates",
    "render_email",
    "render_sms",
    "validate_template",
]
