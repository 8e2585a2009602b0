"""The rules every store applies, written once (services/adapters/store_rules.py); the contract
suite checks each store follows them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.adapters.store_rules import expired, expires_at, within_limit
from services.ports import SubscriptionLimitError

NOW = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)


def test_expiry_is_against_the_given_clock():
    ends = expires_at(NOW, 60)
    assert ends == NOW.timestamp() + 60 and expires_at(NOW, None) is None and expires_at(NOW, 0) is None
    assert not expired(ends, NOW + timedelta(seconds=59)) and expired(ends, NOW + timedelta(seconds=60))
    assert not expired(None, NOW + timedelta(days=10_000))


def test_the_subscription_limit():
    within_limit(1, 9, 10)
    with pytest.raises(SubscriptionLimitError, match="chat 1 already follows 10 areas"):
        within_limit(1, 10, 10)
