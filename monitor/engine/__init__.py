"""The engine: the wiring between sources, rules, store and notifiers, with no UI.

``Engine`` is what the CLI and the UI use; ``EngineSettings`` is a config resolved once
into the values the engine reads (``monitor check`` prints it).
"""

from monitor.engine.build import EngineSettings
from monitor.engine.core import Engine

__all__ = ["Engine", "EngineSettings"]
