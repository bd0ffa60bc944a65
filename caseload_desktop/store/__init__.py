"""The local team database: models, the one place engines are made, read queries, demo data."""
