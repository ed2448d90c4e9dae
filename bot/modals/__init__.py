"""Modals: New incident, Add responders, Resolve, Edit incident."""
