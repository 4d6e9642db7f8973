"""The pages people look at: the read-only console (``/console``) and the job dashboard (``/dashboard``)."""
