//! Test-only package: owns the workspace-level `tests/` and `examples/`. It has no code of its own.
#![forbid(unsafe_code)]
