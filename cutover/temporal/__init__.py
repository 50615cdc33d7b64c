"""Temporal plumbing shared by the CLI and the worker: settings, client, payloads, schedules, lookups."""
