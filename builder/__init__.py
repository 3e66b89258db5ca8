"""The merchant's web designer and back office."""
