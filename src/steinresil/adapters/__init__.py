"""Adapters for the services an application leans on, each behind its own extra.

The core package imports none of them: ``import steinresil.adapters.db`` needs the ``db``
extra (SQLAlchemy 2), and so on. See each module's docstring.
"""
