"""cf2 day keys on the central side: the master pepper, delivery over commands, alerts."""
