"""One namespace of store keys: the leases a new owner may take back, and nothing else."""

from __future__ import annotations

from services import keys


def test_leases_are_exactly_the_claims_held_while_working():
    assert all(
        any(k.startswith(p) for p in keys.LEASE_PREFIXES) for k in (keys.fanout_lease("x"), keys.update_lease(7))
    )
    markers = (keys.update_done(7), keys.fanout_progress("x"), keys.refresh_claim("r"), keys.lookup_rate(1))
    assert not any(k.startswith(p) for k in markers for p in keys.LEASE_PREFIXES)
