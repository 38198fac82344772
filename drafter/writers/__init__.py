"""Writers turn one section's prompt and facts into its text: the offline writer (embedded,
deterministic, no model) and the OpenAI-compatible writer. Both honour writers.base.Writer."""
