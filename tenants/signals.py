"""Signals tenants sends: the apps above it add their part without tenants knowing them."""

from django.dispatch import Signal

# Sent by `manage.py bootstrap` inside the demo school's schema, with ``school`` (the School),
# ``password`` (every demo account's) and ``say`` (writes a line of the command's output).
# Receivers run in INSTALLED_APPS order (accounts, courses, ai, quizzes), so each app finds what
# the apps below it seeded; each adds only what is missing, so running bootstrap again adds
# nothing. A receiver returns the sign-in lines it wants printed at the end, or None.
demo_school_seed = Signal()
