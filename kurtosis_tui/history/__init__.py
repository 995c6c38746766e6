"""Every run kept: the store (SQLite), the view that records runs, and reading them back."""
