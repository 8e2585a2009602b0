"""A fan-out's progress as it is stored: small whatever the number of recipients.

`low` is the highest chat at or below which every recipient is accounted for (sent, given up, or
waiting in `retry`); `above` lists the few sent above it while earlier sends were still on the
wire; `retry` maps chats waiting for another try to their tries so far. A legacy plain integer is
read as `low`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from schemas import Event, NotificationFailed, NotificationSent
from services.ports import Clock

if TYPE_CHECKING:
    from services.notifier.fanout_plan import FanOutPlan, FanOutResult

DONE = "done"


class Progress:
    def __init__(self, order: list[int], low: int | None, above: set[int], retry: dict[int, int]) -> None:
        self.order, self.low, self.above = order, low, above
        self.tries = dict(retry)
        self.due: dict[int, float] = {chat: 0.0 for chat in retry}
        self.flying: set[int] = set()
        self.stopped = False
        self._abandoned = False
        self._pos = 0  # watermark walk over `order`
        self._next = 0  # next chat to hand out
        self._skip_accounted()

    @classmethod
    def load(cls, state: str | None, recipients: Sequence[int]) -> Progress:
        order = sorted(set(recipients))
        if not state:
            return cls(order, None, set(), {})
        if state.lstrip("-").isdigit():
            return cls(order, int(state), set(), {})
        data: dict[str, Any] = json.loads(state)
        retry = {int(k): int(v) for k, v in dict(data.get("retry") or {}).items()}
        return cls(order, data.get("low"), {int(c) for c in data.get("above") or []}, retry)

    def dump(self) -> str:
        retry = {str(c): n for c, n in self.tries.items()}
        return json.dumps({"low": self.low, "above": sorted(self.above), "retry": retry})

    def _accounted(self, chat: int) -> bool:
        return (self.low is not None and chat <= self.low) or chat in self.above or chat in self.tries

    def _skip_accounted(self) -> None:
        while self._next < len(self.order) and self._accounted(self.order[self._next]):
            self._next += 1
        while self._pos < len(self.order) and self._accounted(self.order[self._pos]):
            chat = self.order[self._pos]
            if self.low is None or chat > self.low:
                self.low = chat
            self.above.discard(chat)
            self._pos += 1

    # --- handing out ---------------------------------------------------------------------------
    def next_ready(self, now: float) -> int | None:
        """A retry that is due, else the next chat in order; None when nothing is ready now."""
        if self.stopped:
            return None
        ready = [c for c, at in self.due.items() if at <= now and c not in self.flying]
        if ready:
            chat = min(ready)
        elif self._next < len(self.order):
            chat = self.order[self._next]
            self._next += 1
            self._skip_accounted()
        else:
            return None
        self.flying.add(chat)
        return chat

    def waiting(self) -> bool:
        return bool(self.due) or self._next < len(self.order)

    def next_due(self) -> float:
        return min(self.due.values(), default=0.0)

    # --- outcomes ------------------------------------------------------------------------------
    def finish(self, chat: int) -> None:
        """Sent, or given up: never sent again for this fact."""
        self.flying.discard(chat)
        self.tries.pop(chat, None)
        self.due.pop(chat, None)
        if self.low is None or chat > self.low:
            self.above.add(chat)
        self._skip_accounted()

    def retry(self, chat: int, due: float) -> int:
        """Try `chat` again at `due`; returns its tries so far."""
        self.flying.discard(chat)
        self.tries[chat] = self.tries.get(chat, 0) + 1
        self.due[chat] = due
        self._skip_accounted()
        return self.tries[chat]

    def park(self, chat: int) -> None:
        """No more tries for `chat` in this run; it stays owed (and stored) for the next."""
        self.due.pop(chat, None)

    def owed(self) -> list[int]:
        return sorted(self.tries)

    def abandon(self) -> None:
        """A newer fact replaced this one: nothing more is owed."""
        self._abandoned = True

    def finished(self) -> bool:
        return self._abandoned or (not self.waiting() and not self.flying and not self.tries)


def summaries(plan: FanOutPlan, result: FanOutResult, errors: dict[int, tuple[str, bool]], clock: Clock) -> list[Event]:
    """`NotificationSent` in batches of 1000 chats and one `NotificationFailed` per failed chat."""
    now = clock.now()
    chain = plan.cause.caused() if plan.cause else {}
    events: list[Event] = [
        NotificationSent(
            kind=plan.kind, fact_key=plan.fact_key, chat_ids=result.sent[i : i + 1000], occurred_at=now, **chain
        )
        for i in range(0, len(result.sent), 1000)
    ]
    events += [
        NotificationFailed(
            kind=plan.kind,
            fact_key=plan.fact_key,
            chat_id=chat,
            error=msg[:500],
            permanent=permanent,
            occurred_at=now,
            **chain,
        )
        for chat, (msg, permanent) in errors.items()
    ]
    return events
