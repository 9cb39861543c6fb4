import pytest

from tests.pipeline.conftest import Clock, Pipeline, clock, pipeline, run_jobs, sandbox, sandbox_server

__all__ = ["Clock", "Pipeline", "clock", "open_pipeline", "pipeline", "run_jobs", "sandbox", "sandbox_server"]


@pytest.fixture
def open_pipeline(pipeline: Pipeline) -> Pipeline:
    """The pipeline, with sandbox orders staying open for an hour: a shipped (closed) order refuses labels."""
    pipeline.sandbox.put("/_sandbox/settings", json={"ship_delay": 3600}).raise_for_status()
    return pipeline
