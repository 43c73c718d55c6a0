"""Loopback stand-ins for the outside APIs the crawler talks to, each answering as the real one."""
