"""State: key groups, keyed state handles, the heap backend and operator state."""
