"""The task registry against what queues tasks by name from below it."""

from __future__ import annotations

from plyr.auth.service import RESUME_PDS_WRITES, SYNC_REPO
from plyr.tasks import TASKS


def test_sign_in_queues_registered_tasks() -> None:
    """Signing in (`auth.service.queue_after_sign_in`) names these tasks: a rename in
    `plyr.tasks` must not leave it queueing a task no worker knows."""
    assert {SYNC_REPO, RESUME_PDS_WRITES} <= {task.__name__ for task in TASKS}
