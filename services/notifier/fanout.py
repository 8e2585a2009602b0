"""Send-once fan-out of one fact to many chats: pipelined, checkpointed, resumable, superseded by
newer facts.

Telegram has no idempotency key, so the guard is ours, keyed by the *fact* (not the event id).
Recipients go out in ascending chat id, up to `workers` at a time within the global rate limit;
progress (`fanout:<fact>`) is the highest chat below which every chat is handled, plus the few
handled above it and the chats waiting for a retry — one store write per message (or per
`checkpoint_every`). A redelivered event finds `done`; a crash resumes from the progress,
repeating only what was on the wire. A 5xx or time-out for one chat is retried later for that chat
while the others go on; a run of failures with no success means Telegram is down: progress is kept
and the delivery retried. Before each send the fact is checked against the newest one
(`current`): a fan-out for a stage that has changed again stops, so no chat gets an older stage
after a newer one. A short lease, renewed while working, keeps two runs of a fact (and, with
`serial_key`, of a region's facts) apart and lets a retry take over from a dead run within a minute.
"""

from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from schemas import FanOutPaused
from services import keys as store_keys
from services.chats import deactivate_chat, in_quiet_hours, migrate_chat
from services.notifier.fanout_plan import (  # re-exported: the fan-out's vocabulary
    FanOutBusyError,
    FanOutPlan,
    FanOutResult,
    FanOutRuntime,
    FanOutStore,
)
from services.notifier.progress import DONE, Progress, summaries
from services.ports import (
    ChatMigratedError,
    ChatSettings,
    ChatUnavailableError,
    MessageRejectedError,
    MessengerUnavailableError,
    RateLimitedError,
)

log = logging.getLogger("loadshed.notifier")
CURSOR_TTL = 7 * 86400
LEASE_SECONDS = 60
RENEW_AFTER = 20.0
MAX_TRIES = 5
OUTAGE_RUN = 12
"""Failures in a row, with no success between, that mean Telegram is down (not one chat)."""


__all__ = [
    "FanOut",
    "FanOutBusyError",
    "FanOutPlan",
    "FanOutResult",
    "FanOutRuntime",
    "FanOutStore",
    "fan_out",
]


def fan_out(plan: FanOutPlan, run: FanOutRuntime) -> FanOutResult:
    """Send `plan.compose(chat)` to each recipient once for this fact (see the module docstring).
    Raises `FanOutBusyError`, or `MessengerUnavailableError` when Telegram is down (progress kept)."""
    return FanOut(plan, run).execute()


class FanOut:
    def __init__(self, plan: FanOutPlan, run: FanOutRuntime) -> None:
        self.plan, self.run = plan, run
        self.result = FanOutResult()
        self.errors: dict[int, tuple[str, bool]] = {}
        keys = [plan.fact_key] + ([plan.serial_key] if plan.serial_key else [])
        self.leases = [store_keys.fanout_lease(key) for key in keys]
        self.cursor_key = store_keys.fanout_progress(plan.fact_key)
        self.renewed = time.monotonic()
        self.failures_in_a_row = 0
        self.unsaved = 0
        self.tries_here: dict[int, int] = {}
        self.sends_since_check = 0
        self.lost = False
        self.token = uuid.uuid4().hex
        """This run's name on its leases: a renewal by anyone else fails."""

    # --- lifecycle -----------------------------------------------------------------------------
    def execute(self) -> FanOutResult:
        store, now = self.run.store, self.run.clock.now()
        state = store.get_value(self.cursor_key, now=now)
        if state == DONE:
            self.result.skipped_done = True
            return self.result
        self._take_leases()
        progress = Progress.load(state, self.plan.recipients)
        try:
            self._send_all(progress)
            if progress.owed() and not progress.stopped:
                raise MessengerUnavailableError(
                    f"Telegram kept failing for {len(progress.owed())} chat(s) of {self.plan.fact_key}; retried later"
                )
        finally:
            self._save(progress, force=True)
            store.enqueue(summaries(self.plan, self.result, self.errors, self.run.clock))
            if not self.lost:  # a lease we lost may be someone else's now: never release theirs
                for lease in self.leases:
                    store.release(lease)
        return self.result

    def _take_leases(self) -> None:
        now = self.run.clock.now()
        for i, lease in enumerate(self.leases):
            if not self.run.store.claim(lease, now, LEASE_SECONDS, holder=self.token):
                for held in self.leases[:i]:
                    self.run.store.release(held)
                raise FanOutBusyError(lease)

    def _renew(self) -> None:
        """Keep the leases while working (a dead run's expire within a minute)."""
        if time.monotonic() - self.renewed < RENEW_AFTER:
            return
        self.renewed = time.monotonic()
        for lease in self.leases:
            if not self.run.store.renew(lease, self.run.clock.now(), LEASE_SECONDS, self.token):
                self.lost = True
                raise FanOutBusyError(f"{lease} expired and may be taken over: stopping")

    def _save(self, progress: Progress, force: bool = False) -> None:
        self.unsaved += 1
        if force or self.unsaved >= self.run.checkpoint_every:
            value = DONE if progress.finished() else progress.dump()
            self.run.store.put_value(self.cursor_key, value, ttl_seconds=CURSOR_TTL, now=self.run.clock.now())
            self.unsaved = 0

    # --- sending -------------------------------------------------------------------------------
    def _stop_reason(self) -> str | None:
        """Checked before each send; "still the newest?" is read every `checkpoint_every` sends (a
        newer fact's fan-out waits for this one's serial lease, so no chat gets the newer first)."""
        due = self.sends_since_check % self.run.checkpoint_every == 0
        if self.plan.current is not None and due and not self.plan.current():
            return "superseded"
        self.sends_since_check += 1
        budget = self.run.time_left
        if self.plan.cause is not None and budget is not None and budget() < self.run.reserve_seconds:
            return "paused"
        return None

    def _send_all(self, progress: Progress) -> None:
        pool = ThreadPoolExecutor(self.run.workers) if self.run.workers > 1 else None
        flying: dict[Future[None], tuple[int, int, float]] = {}
        try:
            while True:
                self._renew()
                chat = progress.next_ready(time.monotonic()) if len(flying) < self.run.workers else None
                if chat is not None:
                    reason = self._stop_reason()
                    if reason is not None:
                        self._stop(progress, reason)
                        chat = None
                    else:
                        flying[self._submit(pool, chat, chat)] = (chat, chat, time.monotonic())
                        if pool is not None and len(flying) < self.run.workers:
                            continue
                if not flying:
                    if progress.stopped or not progress.waiting():
                        return
                    time.sleep(min(0.05, max(progress.next_due() - time.monotonic(), 0.0)))
                    continue
                done, _ = wait(list(flying), timeout=0.05, return_when=FIRST_COMPLETED)
                for future in done:
                    self._settle(progress, future, flying.pop(future), pool, flying)
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
                for future, item in list(flying.items()):
                    self._settle_quietly(progress, future, item)

    def _settle_quietly(self, progress: Progress, future: Future[None], item: tuple[int, int, float]) -> None:
        """On the way out (an error elsewhere): record what the sends still in flight did."""
        try:
            self._settle(progress, future, item, None, {})
        except Exception as exc:
            log.debug("while stopping %s: %s", self.plan.fact_key, exc)

    def _submit(self, pool: ThreadPoolExecutor | None, chat: int, target: int) -> Future[None]:
        settings = self.plan.settings.get(chat, ChatSettings()) if self.plan.settings is not None else None
        silent = in_quiet_hours(settings or self.run.store.get_settings(chat), self.run.clock.now())
        text = self.plan.compose(chat)

        def send() -> None:
            self.run.messenger.send_text(target, text, silent=silent)

        if pool is not None:
            return pool.submit(send)
        future: Future[None] = Future()
        try:
            send()
            future.set_result(None)
        except Exception as exc:
            future.set_exception(exc)
        return future

    def _settle(
        self,
        progress: Progress,
        future: Future[None],
        item: tuple[int, int, float],
        pool: ThreadPoolExecutor | None,
        flying: dict[Future[None], tuple[int, int, float]],
    ) -> None:
        chat, target, _ = item
        exc = future.exception()
        if exc is None:
            self.result.sent.append(target)
            self.failures_in_a_row = 0
            progress.finish(chat)
        elif isinstance(exc, ChatMigratedError):
            moved = migrate_chat(self.run.store, target, exc.new_chat_id, self.run.clock.now(), self.plan.cause)
            log.info("chat %s became %s (%d subscription(s) moved); resending there", target, exc.new_chat_id, moved)
            flying[self._submit(pool, chat, exc.new_chat_id)] = (chat, exc.new_chat_id, time.monotonic())
            return
        elif isinstance(exc, ChatUnavailableError):
            self._gone(progress, chat, exc)
        elif isinstance(exc, MessageRejectedError):
            self.result.failed.append(chat)
            self.errors[chat] = (str(exc), False)
            log.error("message about %s rejected for chat %s: %s", self.plan.fact_key, chat, exc)
            progress.finish(chat)
        elif isinstance(exc, (MessengerUnavailableError, RateLimitedError)):
            self._transient(progress, chat, exc)
        else:
            raise exc
        self._save(progress)

    def _gone(self, progress: Progress, chat: int, exc: ChatUnavailableError) -> None:
        self.result.failed.append(chat)
        self.errors[chat] = (str(exc), True)
        deactivate_chat(self.run.store, chat, exc.reason, self.run.clock.now(), self.plan.cause)
        progress.finish(chat)

    def _transient(self, progress: Progress, chat: int, exc: Exception) -> None:
        """Try this chat again later (the others go on); after MAX_TRIES in this run it waits,
        stored, for the delivery's own retry — never dropped."""
        self.failures_in_a_row += 1
        self.tries_here[chat] = self.tries_here.get(chat, 0) + 1
        delay = self.run.retry_delay * self.tries_here[chat]
        tries = progress.retry(chat, time.monotonic() + delay)
        self.result.retried += 1
        fact = self.plan.fact_key
        if "Timeout" in str(exc):
            log.warning("sending %s to chat %s timed out: it may have arrived, so the retry may repeat it", fact, chat)
        else:
            log.warning("sending %s to chat %s failed (%s), try %d; retrying it later", fact, chat, exc, tries)
        if self.tries_here[chat] >= MAX_TRIES:
            progress.park(chat)
        if self.failures_in_a_row >= OUTAGE_RUN:
            log.warning("Telegram keeps failing during %s; stopping, the delivery resumes later", fact)
            raise MessengerUnavailableError(f"Telegram unavailable during {self.plan.fact_key}") from exc

    def _stop(self, progress: Progress, reason: str) -> None:
        progress.stopped = True
        if reason == "superseded":
            self.result.superseded = True
            progress.abandon()
            sent = len(self.result.sent)
            log.info("%s superseded by a newer fact after %d send(s); stopping", self.plan.fact_key, sent)
            return
        self.result.paused = True
        cause = self.plan.cause
        assert cause is not None  # paused only with a cause (checked in _stop_reason)
        self.run.store.enqueue(
            [
                FanOutPaused(
                    kind=self.plan.kind,
                    fact_key=self.plan.fact_key,
                    origin_source=cause.SOURCE,
                    origin_detail_type=cause.DETAIL_TYPE,
                    origin_detail=cause.model_dump_json(),
                    sent_so_far=len(self.result.sent),
                    occurred_at=self.run.clock.now(),
                    **cause.caused(),
                )
            ]
        )
