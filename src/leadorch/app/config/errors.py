"""Errors of the configuration, in the operator's words.

Each message names the field and the value that was refused, so the CLI can print it as one line and
the admin API can return it as is.
"""

from __future__ import annotations


class ConfigError(Exception):
    """Base of everything configuration refuses."""


class InvalidConfiguration(ConfigError, ValueError):
    """A value an operator gave is malformed or breaks a rule (a bad time zone, overlapping hours…)."""


class ConfigNotFound(ConfigError, LookupError):
    """No such tenant, location or service (for this tenant: other tenants' ids look missing)."""


class UnknownTenant(ConfigNotFound):
    """The tenant id is not configured."""


class UnknownLocation(ConfigNotFound):
    """The location id is not configured for the tenant."""


class UnknownService(ConfigNotFound):
    """The service id is not in the tenant's catalog."""


class ConfigConflict(ConfigError):
    """The change collides with what is already configured."""


class TenantAlreadyExists(ConfigConflict):
    """A tenant with that id exists."""


class LocationAlreadyExists(ConfigConflict):
    """The tenant already has a location with that id, or one bound to that CRM location."""


class ConcurrentEdit(ConfigConflict):
    """Someone else changed the same tenant or location at the same moment, repeatedly."""


class OperatorOnly(ConfigError):
    """Only the operator (the admin token, or the CLI on the server) may do this, not a tenant's token."""


class SecretUnreadable(ConfigError):
    """A stored secret cannot be decrypted: LEADORCH_SECRET_KEY is not the key it was stored with."""
