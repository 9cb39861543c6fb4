"""Service-level endpoints: version, health."""
