"""Pure rules of the field: no Qt, no SQLAlchemy, no I/O."""
