"""Servers and stubs the tests start on loopback (private Redis, PostgreSQL, AI provider stubs).

Importable as ``support.<module>`` from any test: ``tests/`` is on ``sys.path`` because
``tests/conftest.py`` sits there without an ``__init__.py`` (pytest's "prepend" import mode).
"""
