"""The local end-to-end demo: examples/complete deployed into a local AWS emulator (moto_server)."""
