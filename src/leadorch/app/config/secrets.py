"""Encryption at rest for the secrets a tenant configures (the CRM API key, the webhook secret).

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with a key derived by HKDF from
`LEADORCH_SECRET_KEY`, so the database alone never reveals a secret. Decrypted values travel as
`Secret`, whose `repr`/`str` are masked: a secret that ends up in a log line or a traceback shows as
stars. Code that really needs the value calls `.reveal()`, which is easy to find in a review.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from leadorch.app.config.errors import SecretUnreadable

_MASK = "**********"
_SALT = b"leadorch/config-secrets/v1"
_INFO = b"fernet key for tenant secrets"


class Secret:
    """A decrypted secret whose text only `.reveal()` gives out."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class SecretBox:
    """Encrypts and decrypts tenant secrets with a key derived from the application's secret key."""

    __slots__ = ("_fernet",)

    def __init__(self, secret_key: str) -> None:
        if len(secret_key) < 32:
            raise ValueError("the secret key must be at least 32 characters")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
            secret_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, plaintext: str) -> str:
        """The encrypted token (ASCII) to store for `plaintext`."""
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def open(self, token: str) -> Secret:
        """The secret sealed in `token`; `SecretUnreadable` if it was sealed under another key."""
        try:
            return Secret(self._fernet.decrypt(token.encode("ascii")).decode())
        except (InvalidToken, ValueError):
            raise SecretUnreadable(
                "a stored secret cannot be decrypted: LEADORCH_SECRET_KEY differs from the key it was stored with"
            ) from None

    def __repr__(self) -> str:
        return f"SecretBox(key='{_MASK}')"

    __str__ = __repr__
