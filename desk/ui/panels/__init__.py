"""Dockable panels, one module per panel; each receives its models and services in ``__init__``."""
