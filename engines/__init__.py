"""Business engines: one package per engine, each with the same rooms (DESIGN.md §1)."""
