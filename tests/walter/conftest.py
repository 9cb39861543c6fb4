"""The pipeline fixtures (sandbox warehouse, worker, clock) for Walter tests."""

from tests.pipeline.conftest import clock, pipeline, run_jobs, sandbox, sandbox_server

__all__ = ["clock", "pipeline", "run_jobs", "sandbox", "sandbox_server"]
