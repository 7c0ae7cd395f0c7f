"""信访接待模拟训练: a training simulator for petition-reception clerks.

The core (model, loader, validate, scoring, engine, store, reports) never imports
Textual; ``simulator.tui`` is the only face that does.
"""

__version__ = "0.1.0"
