"""Loopback ports for the servers the demo and the tests start."""

import socket


class ServerStartError(Exception):
    """A server the demo needs did not come up; the message says why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """True when something listens on port.

    A connect to an unused port in the ephemeral range can be given that same port as its
    source and connect to itself (TCP self-connect); that is not a listener.
    """
    with socket.socket() as sock:
        sock.settimeout(0.2)
        if sock.connect_ex((host, port)) != 0:
            return False
        return bool(sock.getsockname()[1] != port)


def refuse_taken_ports(*ports: int) -> None:
    """One clear line before starting a server on a port something already listens on."""
    for port in ports:
        if port_open(port):
            raise ServerStartError(
                f"port {port} is already in use (another Temporal server?); pick others with --port/--ui-port"
            )
