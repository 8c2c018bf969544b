"""PSP clients behind the port of application/ports.py (one module per PSP), and the local PSP."""
