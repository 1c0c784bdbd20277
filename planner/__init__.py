"""planner: sector-specific enterprise support plans (一企一策) for Ningbo's 2022 campaigns."""

__version__ = "0.1.0"
