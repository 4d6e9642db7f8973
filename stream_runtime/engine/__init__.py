"""The execution engine: operators, coordinator, async checkpoint writer, launcher, control channel."""
