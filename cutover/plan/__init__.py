"""The migration plan: its model, file format, checks, step sequence and history budget."""
