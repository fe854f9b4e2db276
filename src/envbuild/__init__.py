"""envbuild: envd v1 build files, evaluated in Python and built by BuildKit."""

__version__ = "0.1.0"
