"""SmartEdu settings, split by concern. Every value that differs between deployments comes
from the environment through ``env.py``; see the README's settings table."""

from .ai import *  # noqa: F403
from .api import *  # noqa: F403
from .base import *  # noqa: F403
from .infrastructure import *  # noqa: F403
from .observability import *  # noqa: F403
from .tenancy import *  # noqa: F403
