"""Loopback stand-ins for the outside APIs the crawler talks to, each answering as the real one:
the discovery sources' tests drive them, and the demo serves them so `make demo` runs discovery."""
