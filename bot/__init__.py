"""The Slack entry points: Bolt listeners for /vigilo, modals, buttons, channel messages and
the home tab. Thin: parse, one service call, render."""
