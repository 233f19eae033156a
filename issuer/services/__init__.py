"""The application layer: loads and saves models, calls the pure domain, flushes, never commits."""
