"""EventBridge event patterns: validation and matching as EventBridge evaluates them.

The topology declares patterns; Pulumi hands them to EventBridge rules and the embedded bus routes
with the same data through this package. The semantics follow the EventBridge content-filtering
documentation and, where it is silent, aws/event-ruler (the engine behind EventBridge): its
`JsonRuleCompiler` decides what is valid, its README what matches (arrays of objects are crushed
into their parent field with array-consistent matching, dotted keys equal nested keys, `exists`
works on leaves only, an empty array or object is no value at all).
"""

from services.patterns.compile import CompiledPattern, PatternError, compile_pattern, matches, validate_pattern
from services.patterns.match import FlatEvent, flatten

__all__ = [
    "CompiledPattern",
    "FlatEvent",
    "PatternError",
    "compile_pattern",
    "flatten",
    "matches",
    "validate_pattern",
]
