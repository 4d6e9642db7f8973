"""Windows: assigners, triggers and window functions (PyFlink's ``pyflink.datastream.window``)."""
