"""An application version's configuration: built by CreateApplication, changed by updates, read as one view.

A configuration is the JSON stored with each version: the description members of ``ApplicationDetail``
that belong to a version (description, runtime, role, mode, ``ApplicationConfigurationDescription``,
CloudWatch logging options), in wire form. ``create`` and ``update`` build it (pure functions that
validate, raising AWS errors, and return new dictionaries) from the blocks in ``flink``, ``sql``,
``code`` and ``resources``; ``wire`` names its members. Everything that acts on a version — the
control loop, StartApplication, snapshots, job planning — reads it through ``view.VersionView``, where
each effective value (checkpointing, parallelism, restore, snapshots, rollback) is decided once.
"""
