"""The processes of a stagger run: env, clock, inference, learner, sequential.

Each node module has a pure core (``handle(msg, now) -> list[Out]``, no sockets) and a
thin ``run(...)`` I/O loop around it built on :mod:`nodes.runtime`.
"""
