"""Process management: the job process's command line, how ``execute()`` is launched, and the supervisor
that spawns job processes and applies their restart strategy."""
