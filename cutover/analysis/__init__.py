"""Is green as good as blue? Pure decision logic: no Temporal, no I/O (cutover.analysis.*)."""
