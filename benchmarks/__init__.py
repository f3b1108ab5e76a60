"""Benchmarks: each module is runnable (`python -m benchmarks.NAME`) and writes a markdown table."""
