"""This instance in the federation: its signing keys, its feed of published changes (outbox), its
peers and the import of what they publish (mirrors). The protocol itself lives in ``federation``."""
