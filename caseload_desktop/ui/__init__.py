"""The Qt user interface: thin widgets over item models; every change goes through services."""
