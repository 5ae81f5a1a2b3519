"""Makes bpf/tests importable for unittest discovery (-t .)."""
