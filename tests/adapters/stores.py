"""Factories for every Store adapter, so one contract suite runs against all of them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
from moto import mock_aws

from services.adapters.dynamodb_store import DynamoDBStore, create_table
from services.adapters.memory import InMemoryStore
from services.adapters.sqlite_store import SQLiteStore
from services.ports import Store

STORE_KINDS = ("memory", "sqlite", "dynamodb")


class AtomicRequests:
    """A boto3 client proxy that makes each request atomic, as DynamoDB's server is.

    moto evaluates a conditional write in several Python steps, so two threads can both pass the
    condition. Real DynamoDB applies each request atomically. Serialising *requests* (not whole
    operations) keeps every interleaving between requests that production can see.
    """

    def __init__(self, client: object) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> object:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def call(*args: object, **kwargs: object) -> object:
            with self._lock:
                return attr(*args, **kwargs)

        return call


@contextmanager
def make_store(kind: str, tmp_path: Path) -> Iterator[Store]:
    if kind == "memory":
        yield InMemoryStore()
    elif kind == "sqlite":
        store = SQLiteStore(tmp_path / "state" / "loadshed.db")
        yield store
        store.close()
    else:
        with mock_aws():
            client = boto3.client("dynamodb", region_name="af-south-1")
            create_table(client, "loadshed-test")
            yield DynamoDBStore(AtomicRequests(client), "loadshed-test")
