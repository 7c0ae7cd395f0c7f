"""Modal dialogs, each self-contained with its own bindings and CSS."""
