from tests.pipeline.conftest import Clock, Pipeline, clock, pipeline, run_jobs, sandbox, sandbox_server

__all__ = ["Clock", "Pipeline", "clock", "pipeline", "run_jobs", "sandbox", "sandbox_server"]
