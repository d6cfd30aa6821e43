"""Notification channels: desktop (D-Bus), a local command, a webhook; and the dispatcher.

``channel`` holds what every channel shares (the ``Channel`` protocol, the channel
names, ``run_bounded``); ``payload`` cleans what leaves the program; ``dispatch`` routes
a batch of alerts.  The "terminal" channel is not here: the engine emits an
``AlertEvent`` for the CLI/UI.
"""
