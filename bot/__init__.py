"""webcare-triage: separates mentions addressed TO a brand from mentions ABOUT it, and queues the direct requests."""

__version__ = "0.1.0"
