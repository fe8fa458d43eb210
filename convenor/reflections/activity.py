"""Registrations with convenor.activities.registry (actions, panels, record sections)."""
