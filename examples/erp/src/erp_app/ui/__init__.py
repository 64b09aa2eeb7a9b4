"""The status page (``/``) and the public JSON it polls (``/api/status``)."""
