"""The Qt user interface: main window, panels, dialogs, theme. Only this package and app.py import Qt."""
