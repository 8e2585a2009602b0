"""One way to make HTTP sessions: timeouts always, bounded retries with backoff on 5xx/timeouts only."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

DEFAULT_TIMEOUT = (3.05, 10.0)
USER_AGENT = "loadshed/0.1 (+https://github.com/loadshed/loadshed)"


def retrying_session(retries: int = 2, backoff: float = 0.5) -> requests.Session:
    """A session that retries idempotent GETs on connection errors, read timeouts and 5xx.

    4xx answers (quota, auth, not found) are never retried: they need a decision, not a storm.
    """
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        backoff_max=5,
        status_forcelist=(500, 502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,
        respect_retry_after_header=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session
