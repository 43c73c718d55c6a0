"""Discovery sources: outside services that say where the target is linked or named (see base.py)."""
