"""drafter: source-tied first drafts of post-mortems for terminated clinical trials."""

__version__ = "0.1.0"
