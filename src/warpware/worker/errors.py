"""What a handler raises to steer its job, and what the queue raises when a worker lost its job."""

from __future__ import annotations


class RetryLater(Exception):  # noqa: N818 - it reads as an instruction at the raise site
    """Try this job again after `delay` seconds (None: the usual backoff). Counts as an attempt."""

    def __init__(self, delay: float | None = None, reason: str = "retry requested") -> None:
        super().__init__(reason)
        self.delay = delay
        self.reason = reason


class JobFailed(Exception):
    """The job cannot succeed by trying again: it goes to `dead` at once, for a person to look at."""


class LeaseLost(Exception):  # noqa: N818
    """This attempt no longer owns the job (its lease expired and another attempt claimed it).

    Raised inside the handler's transaction, so whatever the stale attempt wrote rolls back with it.
    """

    def __init__(self, job_id: int, attempt: int) -> None:
        super().__init__(f"job {job_id}: attempt {attempt} no longer holds the lease")
        self.job_id = job_id
        self.attempt = attempt
