"""Moving outbox events to central records and changes back (ARCHITECTURE.md's sync protocol).

``central_schema`` is the central PostgreSQL store's tables; ``push`` sends outbox events,
``pull`` brings changes to this desktop's teams back, ``folder_target`` writes exports to a
shared folder for councils whose records system ingests files. Nothing here touches Qt: the GUI
runs it on a worker thread.
"""
