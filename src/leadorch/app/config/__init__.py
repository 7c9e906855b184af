"""Tenants, locations, the service catalog and their audit: configuration in plain tables.

`container.config` (a `ConfigService`, built by `bootstrap()`) is the one way the app gets at it (the
CLI, the admin API, and the hot paths that read a tenant's or a location's settings).
"""
