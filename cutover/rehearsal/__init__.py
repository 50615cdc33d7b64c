"""Rehearsing a plan: a local environment built from it or from a snapshot of real clusters, and the
whole migration run against a copy of it on Temporal's time-skipping test server."""
