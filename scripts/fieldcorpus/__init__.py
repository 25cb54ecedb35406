"""fieldcorpus: raw qualitative fieldwork to pseudonymised, per-practice corpora."""

__version__ = "0.1.0"
