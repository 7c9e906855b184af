"""Chat and unsubscribe links: signed, expiring, bound to one lead and one purpose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadorch.app.links import CHAT_LIFETIME, InvalidLink, LinkSigner

NOW = datetime(2025, 6, 2, 17, 0, tzinfo=UTC)
SIGNER = LinkSigner(secret_key="k" * 40, public_base_url="https://leads.example.com/")


def test_a_chat_token_names_its_tenant_and_lead_until_it_expires() -> None:
    token = SIGNER.chat_token("tintworld", "lead-1", NOW + timedelta(days=1))

    assert SIGNER.verify_chat_token(token, NOW) == ("tintworld", "lead-1")
    with pytest.raises(InvalidLink, match="expired"):
        SIGNER.verify_chat_token(token, NOW + timedelta(days=1))


def test_a_token_signed_with_another_key_is_refused_as_not_genuine() -> None:
    other = LinkSigner(secret_key="o" * 40, public_base_url="https://x")
    token = other.chat_token("tintworld", "lead-1", NOW + timedelta(days=1))

    with pytest.raises(InvalidLink, match="not genuine"):
        SIGNER.verify_chat_token(token, NOW)


def test_a_tampered_lead_id_is_refused() -> None:
    token = SIGNER.chat_token("tintworld", "lead-1", NOW + timedelta(days=1))
    payload, mac = token.split(".")
    forged_payload = SIGNER.chat_token("tintworld", "lead-2", NOW + timedelta(days=1)).split(".")[0]

    assert forged_payload != payload
    with pytest.raises(InvalidLink, match="not genuine"):
        SIGNER.verify_chat_token(f"{forged_payload}.{mac}", NOW)


def test_an_unsubscribe_token_cannot_open_a_chat_and_vice_versa() -> None:
    unsubscribe = SIGNER.unsubscribe_token("tintworld", "lead-1", NOW + timedelta(days=1))
    chat = SIGNER.chat_token("tintworld", "lead-1", NOW + timedelta(days=1))

    with pytest.raises(InvalidLink):
        SIGNER.verify_chat_token(unsubscribe, NOW)
    with pytest.raises(InvalidLink):
        SIGNER.verify_unsubscribe_token(chat, NOW)
    assert SIGNER.verify_unsubscribe_token(unsubscribe, NOW) == ("tintworld", "lead-1")


@pytest.mark.parametrize("garbage", ["", "abc", "abc.", ".abc", "!!!.???", "a.b.c"])
def test_malformed_tokens_are_refused_with_a_reason(garbage: str) -> None:
    with pytest.raises(InvalidLink) as caught:
        SIGNER.verify_chat_token(garbage, NOW)
    assert caught.value.reason in ("the link is malformed", "the link is not genuine")


def test_urls_live_under_the_public_base_url() -> None:
    chat_url = SIGNER.chat_url("tintworld", "lead-1", now=NOW)
    unsubscribe_url = SIGNER.unsubscribe_url("tintworld", "lead-1", now=NOW)

    assert chat_url.startswith("https://leads.example.com/chat/")
    assert unsubscribe_url.startswith("https://leads.example.com/unsubscribe/")
    chat_token = chat_url.rsplit("/", 1)[1]
    assert SIGNER.verify_chat_token(chat_token, NOW + CHAT_LIFETIME - timedelta(seconds=1)) == (
        "tintworld",
        "lead-1",
    )


def test_ids_that_would_break_the_token_layout_are_refused() -> None:
    with pytest.raises(ValueError, match="tenant_id"):
        SIGNER.chat_token("a|b", "lead-1", NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        SIGNER.chat_token("a", "lead-1", NOW.replace(tzinfo=None))
