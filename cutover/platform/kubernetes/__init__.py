"""Kubernetes adapter over the official client: discovery, exposure, copies, CronJobs, parity."""
