"""Durable background jobs: rows written with their cause, claimed under a lease, fenced by attempt.

queue.py is what services call inside their own transaction (enqueue, cancel, retry, schedules);
repository.py is what workers run (claims, fencing, leases, schedule ticks); runner.py is the worker.
"""

from warpware.worker.backoff import backoff_delay
from warpware.worker.errors import JobFailed, LeaseLost, RetryLater
from warpware.worker.handlers import JobContext, job_handler
from warpware.worker.models import Job, JobSchedule, JobStatus
from warpware.worker.queue import (
    QueueStats,
    cancel_jobs,
    enqueue,
    enqueue_many,
    queue_stats,
    retry_dead,
    schedule,
    unschedule,
)
from warpware.worker.runner import EmbeddedWorker, Worker, run_worker_process, start_embedded_worker

__all__ = [
    "EmbeddedWorker",
    "Job",
    "JobContext",
    "JobFailed",
    "JobSchedule",
    "JobStatus",
    "LeaseLost",
    "QueueStats",
    "RetryLater",
    "Worker",
    "backoff_delay",
    "cancel_jobs",
    "enqueue",
    "enqueue_many",
    "job_handler",
    "queue_stats",
    "retry_dead",
    "run_worker_process",
    "schedule",
    "start_embedded_worker",
    "unschedule",
]
