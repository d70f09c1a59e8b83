"""The live layer: sources, the session, the streamer's sinks and the kernel-side view builders.

See docs/architecture.md for the data flow and each module's one job.
"""
