"""Test orders for integration QA: realistic orders tagged TEST_ORDER that travel the real pipeline."""
