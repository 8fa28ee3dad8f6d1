"""Messages that were claimed by a worker that then died, or that never reached the queue: queue them again.

HOOK(notify-helper): implement. A message is "sending" with an owner whose process has gone (``jobs._owner_gone``),
or "sending" for longer than a few minutes on another host, or "queued" for longer than a few minutes (the enqueue
was lost: a Redis restart): put it back to queued and return its id, for the sweep to enqueue after the commit.
"""

from __future__ import annotations


def recover_interrupted() -> list[int]:
    """The ids of the messages to queue again (the caller commits, then enqueues them)."""
    return []
