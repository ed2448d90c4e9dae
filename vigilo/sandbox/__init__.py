"""Loopback stand-ins for outside services, shared by the tests and `vigilo demo`."""
