"""Widgets of the TUI that carry logic of their own."""
