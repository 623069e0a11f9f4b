"""The host side of the tinyprune serial protocol (specified in docs/protocol.md)."""
