"""The live-session load benchmark (`python -m bench.live`) and its servers and seeding."""
