"""Typed settings, read from the environment once at start.

A missing or malformed setting stops the process with one clear line naming it (`SettingsError`),
rather than failing later at first use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import msgspec


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = "sqlite:///var/leadorch.db"
    redis_url: str | None = None
    event_codec: str = "msgspec"
    secret_key: str = "dev-only-secret-key-change-me-0000000000"
    admin_token: str = "dev-admin-token"  # DEV_ADMIN_TOKEN
    public_base_url: str = "http://127.0.0.1:8000"
    shopmonkey_base_url: str = "https://api.shopmonkey.cloud"
    sendgrid_api_key: str | None = None
    sendgrid_host: str = "https://api.sendgrid.com"
    # The Signed Event Webhook's verification key (base64 DER, from SendGrid's mail settings).
    sendgrid_event_webhook_public_key: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_base_url: str | None = None
    allow_messaging_standins: bool = False
    # Who a location's texts and emails come from when it has no sender of its own (`app/senders.py`).
    default_sms_from: str | None = None
    default_messaging_service_sid: str | None = None
    default_email_from: str | None = None
    # Whom to tell when a provider refuses our credentials (`touches/circuit_alert.py`).
    operator_alert_email: str | None = None
    operator_alert_phone: str | None = None
    # Twilio's default keyword handling (and Advanced Opt-Out as shipped) answers HELP/INFO itself.
    twilio_answers_help: bool = True
    anthropic_api_key: str | None = None
    anthropic_model: str = "claude-sonnet-4-6"
    anthropic_base_url: str | None = None
    anthropic_max_tokens: int = 1024
    anthropic_timeout_seconds: float = 20.0
    provider_timeout_seconds: float = 10.0
    poll_interval_seconds: float = 30.0
    tick_interval_seconds: float = 5.0
    demo_clock: bool = False
    log_level: str = "INFO"
    log_json: bool = True

    @property
    def is_production_secret(self) -> bool:
        """A real LEADORCH_SECRET_KEY is set: a deployment, not the embedded demo default."""
        return not self.secret_key.startswith("dev-only-")


_ENV_NAMES: dict[str, str] = {
    "database_url": "DATABASE_URL",
    "redis_url": "REDIS_URL",
    "event_codec": "EVENT_CODEC",
    "secret_key": "LEADORCH_SECRET_KEY",
    "admin_token": "LEADORCH_ADMIN_TOKEN",
    "public_base_url": "LEADORCH_PUBLIC_BASE_URL",
    "shopmonkey_base_url": "SHOPMONKEY_BASE_URL",
    "sendgrid_api_key": "SENDGRID_API_KEY",
    "sendgrid_host": "SENDGRID_HOST",
    "sendgrid_event_webhook_public_key": "SENDGRID_EVENT_WEBHOOK_PUBLIC_KEY",
    "twilio_account_sid": "TWILIO_ACCOUNT_SID",
    "twilio_auth_token": "TWILIO_AUTH_TOKEN",
    "twilio_base_url": "TWILIO_BASE_URL",
    "allow_messaging_standins": "LEADORCH_ALLOW_MESSAGING_STANDINS",
    "default_sms_from": "LEADORCH_DEFAULT_SMS_FROM",
    "default_messaging_service_sid": "LEADORCH_DEFAULT_MESSAGING_SERVICE_SID",
    "default_email_from": "LEADORCH_DEFAULT_EMAIL_FROM",
    "operator_alert_email": "LEADORCH_OPERATOR_ALERT_EMAIL",
    "operator_alert_phone": "LEADORCH_OPERATOR_ALERT_PHONE",
    "twilio_answers_help": "TWILIO_ANSWERS_HELP",
    "anthropic_api_key": "ANTHROPIC_API_KEY",
    "anthropic_model": "ANTHROPIC_MODEL",
    "anthropic_base_url": "ANTHROPIC_BASE_URL",
    "anthropic_max_tokens": "ANTHROPIC_MAX_TOKENS",
    "anthropic_timeout_seconds": "ANTHROPIC_TIMEOUT_SECONDS",
    "provider_timeout_seconds": "LEADORCH_PROVIDER_TIMEOUT_SECONDS",
    "poll_interval_seconds": "LEADORCH_POLL_INTERVAL_SECONDS",
    "tick_interval_seconds": "LEADORCH_TICK_INTERVAL_SECONDS",
    "demo_clock": "LEADORCH_DEMO_CLOCK",
    "log_level": "LEADORCH_LOG_LEVEL",
    "log_json": "LEADORCH_LOG_JSON",
}

ENV_NAMES: Mapping[str, str] = _ENV_NAMES


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings from environment variables (and explicit overrides), validating each one."""
    environ = os.environ if environ is None else environ
    raw: dict[str, object] = {}
    for field, env_name in _ENV_NAMES.items():
        value = environ.get(env_name)
        if value is not None and value != "":
            raw[field] = value
    raw.update(overrides)
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        field = str(exc).rsplit("$.", 1)[-1].rstrip("`")
        env_name = _ENV_NAMES.get(field, field)
        raise SettingsError(f"setting {env_name} is invalid: {exc}") from None
    _validate(settings)
    return settings


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _validate(settings: Settings) -> None:
    if not settings.database_url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise SettingsError(
            f"setting DATABASE_URL must start with sqlite:/// or postgresql://, got {settings.database_url.split(':')[0]}:…"
        )
    if settings.redis_url is not None and not settings.redis_url.startswith(("redis://", "rediss://")):
        raise SettingsError("setting REDIS_URL must start with redis:// or rediss://")
    if settings.event_codec not in ("msgspec", "json"):
        raise SettingsError("setting EVENT_CODEC must be msgspec or json")
    if len(settings.secret_key) < 32:
        raise SettingsError("setting LEADORCH_SECRET_KEY must be at least 32 characters")
    if len(settings.admin_token) < 8:
        raise SettingsError("setting LEADORCH_ADMIN_TOKEN must be at least 8 characters")
    if settings.log_level.upper() not in _LOG_LEVELS:
        raise SettingsError(f"setting LEADORCH_LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}")
    if settings.poll_interval_seconds <= 0 or settings.tick_interval_seconds <= 0:
        raise SettingsError("poll and tick intervals must be positive")
    if not 64 <= settings.anthropic_max_tokens <= 64_000:
        raise SettingsError("setting ANTHROPIC_MAX_TOKENS must be between 64 and 64000")
    if not 0 < settings.anthropic_timeout_seconds <= 85:
        raise SettingsError(
            "setting ANTHROPIC_TIMEOUT_SECONDS must be between 0 and 85 seconds (a chat turn gives up at 90)"
        )
    if not 0 < settings.provider_timeout_seconds <= 120:
        raise SettingsError("setting LEADORCH_PROVIDER_TIMEOUT_SECONDS must be between 0 and 120 seconds")
    if settings.default_sms_from is not None and not _E164.match(settings.default_sms_from):
        raise SettingsError(
            "setting LEADORCH_DEFAULT_SMS_FROM must be a phone number in E.164, e.g. +16195550142"
        )
    if settings.default_messaging_service_sid is not None and not _MESSAGING_SERVICE_SID.match(
        settings.default_messaging_service_sid
    ):
        raise SettingsError(
            "setting LEADORCH_DEFAULT_MESSAGING_SERVICE_SID must be a Twilio Messaging Service SID (MG and 32 hex digits)"
        )
    if settings.default_email_from is not None and not _EMAIL.match(settings.default_email_from):
        raise SettingsError("setting LEADORCH_DEFAULT_EMAIL_FROM must be an email address")
    if settings.operator_alert_email is not None and not _EMAIL.match(settings.operator_alert_email):
        raise SettingsError("setting LEADORCH_OPERATOR_ALERT_EMAIL must be an email address")
    if settings.operator_alert_phone is not None and not _E164.match(settings.operator_alert_phone):
        raise SettingsError(
            "setting LEADORCH_OPERATOR_ALERT_PHONE must be a phone number in E.164, e.g. +16195550142"
        )


# The demo's defaults and .env.example's placeholders: fine on a laptop, an open door in a deployment.
DEV_ADMIN_TOKEN = "dev-admin-token"
_PLACEHOLDER_MARKS = ("change-me", "changeme", "dev-only-", DEV_ADMIN_TOKEN)


def is_placeholder(value: str) -> bool:
    lowered = value.lower()
    return any(mark in lowered for mark in _PLACEHOLDER_MARKS)


def check_deployment_secrets(settings: Settings) -> None:
    """Refuse a deployment (a real LEADORCH_SECRET_KEY) whose secrets are the demo's or a placeholder.

    The demo banner prints the default admin token, so a deployment that kept it would let anyone list
    every tenant; `.env.example`'s placeholders are as public. The embedded demo is unaffected.
    """
    if not settings.is_production_secret:
        return
    if is_placeholder(settings.secret_key):
        raise SettingsError(
            "setting LEADORCH_SECRET_KEY is the .env.example placeholder: set a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    if is_placeholder(settings.admin_token):
        raise SettingsError(
            "setting LEADORCH_ADMIN_TOKEN is missing, the demo default or a placeholder: a deployment "
            "needs its own (python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )


def sqlite_path(database_url: str) -> Path:
    return Path(database_url.removeprefix("sqlite:///"))
