"""The Textual face of the simulator: the only package that imports Textual.

``app.py`` owns the App and ``run_app``; ``screens/`` the four practice screens;
``widgets/`` the pieces they are built from; ``dialogs/`` the modal dialogs;
``messages.py`` the typed messages between widgets, screens and the app.
"""
