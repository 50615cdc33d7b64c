"""Notifications: what a migration tells people (events), where the worker sends it (config), in
which words (render, templates/) and how (delivery, once per destination thanks to the ledger).

Only `events` may be imported by workflow code; the rest runs in the worker's activities.
"""
