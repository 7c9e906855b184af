"""The configuration tables: plain rows, edited in place, with an append-only audit beside them.

Configuration is read on every hot path (each webhook, touch and booking) and is edited rather than
lived through, so it is not event-sourced; `config_audit` keeps who changed what and when.
Timestamps are TEXT ISO-8601 UTC; lists and maps are TEXT holding msgspec JSON; secrets are TEXT
holding Fernet tokens, never plaintext. `version` supports optimistic concurrency on edits.
"""

from __future__ import annotations

SCHEMA: list[str] = [
    """CREATE TABLE IF NOT EXISTS config_tenants (
        tenant_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        website_status_ids TEXT NOT NULL,
        demo_mode BOOLEAN NOT NULL,
        allow_list TEXT NOT NULL,
        custom_touch_plan TEXT,
        templates TEXT NOT NULL,
        max_sms_segments INTEGER NOT NULL,
        catalog_generic_words TEXT,
        message_answers TEXT,
        crm_api_key_sealed TEXT,
        crm_webhook_secret_sealed TEXT,
        api_token_sha256 TEXT NOT NULL UNIQUE,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS config_locations (
        tenant_id TEXT NOT NULL REFERENCES config_tenants (tenant_id),
        location_id TEXT NOT NULL,
        name TEXT NOT NULL,
        crm_location_id TEXT NOT NULL,
        time_zone TEXT NOT NULL,
        phone TEXT,
        address TEXT,
        weekly_hours TEXT NOT NULL,
        exceptions TEXT NOT NULL,
        sending_window TEXT NOT NULL,
        capacity INTEGER NOT NULL,
        min_lead_minutes INTEGER NOT NULL,
        slot_granularity_minutes INTEGER NOT NULL,
        staff TEXT NOT NULL,
        sms_from_number TEXT,
        email_from TEXT,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        technician_ids TEXT,
        booking_horizon_days INTEGER,
        assistant_answers_messages BOOLEAN,
        PRIMARY KEY (tenant_id, location_id),
        UNIQUE (tenant_id, crm_location_id)
    )""",
    """CREATE TABLE IF NOT EXISTS config_services (
        tenant_id TEXT NOT NULL REFERENCES config_tenants (tenant_id),
        service_id TEXT NOT NULL,
        crm_service_id TEXT,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        duration_minutes INTEGER NOT NULL,
        price_cents BIGINT NOT NULL,
        bookable BOOLEAN NOT NULL,
        active BOOLEAN NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, service_id),
        UNIQUE (tenant_id, crm_service_id)
    )""",
    """CREATE TABLE IF NOT EXISTS config_location_prices (
        tenant_id TEXT NOT NULL,
        location_id TEXT NOT NULL,
        service_id TEXT NOT NULL,
        price_cents BIGINT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, location_id, service_id)
    )""",
    """CREATE TABLE IF NOT EXISTS config_audit (
        seq BIGINT PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        tenant_id TEXT,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        changes TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS config_audit_by_tenant ON config_audit (tenant_id, seq)",
    # One row whose value is the last audit sequence number: incrementing it row-locks, so concurrent
    # configuration writes get gap-free, ordered sequence numbers on both backends.
    """CREATE TABLE IF NOT EXISTS config_audit_counter (
        name TEXT PRIMARY KEY,
        value BIGINT NOT NULL
    )""",
]

# Columns added after a table was first created: `create_tables` adds each one a database lacks.
ADDED_COLUMNS: list[tuple[str, str, str]] = [
    ("config_tenants", "catalog_generic_words", "TEXT"),  # NULL: the default words
    ("config_locations", "technician_ids", "TEXT"),  # NULL: none listed, capacity counts the bays
    ("config_locations", "booking_horizon_days", "INTEGER"),  # NULL: the default (60 days)
    ("config_tenants", "message_answers", "TEXT"),  # NULL: the assistant answers, live for 15 minutes
    ("config_locations", "assistant_answers_messages", "BOOLEAN"),  # NULL: the assistant answers
]
