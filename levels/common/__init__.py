"""What every package needs and nothing else knows: user errors and safe file input/output.

The lowest layer of the project (docs/architecture.md): :mod:`levels.common.errors`
(:class:`~levels.common.errors.UserError` and its kin: one-line messages, exit code 2)
and :mod:`levels.common.files` (bounded reads, strict JSON/TOML parsing, atomic
writes). It lives in ``levels/`` because that package is the bottom of the dependency
order, and imports nothing of the project.
"""
