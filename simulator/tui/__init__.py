"""The Textual face of the simulator: the only package that imports Textual.

``app.py`` owns the App and ``run_app``; ``screens/`` the practice screens, history, exam and preview problems;
``widgets/`` the pieces they are built from; ``dialogs/`` the modal dialogs;
``messages.py`` the typed messages between widgets, screens and the app.
"""
