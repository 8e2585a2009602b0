"""A stand-in for the Lambda runtime inside moto (which has no Docker here): invoking a function
runs our real handler in-process; an exception becomes `FunctionError` with the runtime's
`{"errorType", "errorMessage"}` payload, which is what Step Functions' Retry/Catch match on."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from moto.awslambda_simple.models import LambdaSimpleBackend

Handler = Callable[[dict[str, Any], Any], Any]


@contextmanager
def lambda_runtime(monkeypatch: pytest.MonkeyPatch, handlers: dict[str, Handler]) -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def invoke(
        self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: dict[str, str]
    ) -> bytes:
        name = function_name.rsplit(":", 1)[-1]
        event = json.loads(body or "{}")
        calls.append({"function": name, "event": event})
        try:
            result = handlers[name](event, None)
        except Exception as exc:  # the Lambda runtime's contract for an unhandled error
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}).encode()
        return json.dumps(result).encode()

    monkeypatch.setattr(LambdaSimpleBackend, "invoke", invoke)
    yield calls
