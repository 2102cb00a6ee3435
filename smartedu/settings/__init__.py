"""SmartEdu settings, split by concern. Every value that differs between deployments comes
from the environment through ``env.py``; the manual's settings page
(docs/settings.md) is generated from them."""

from .ai import *  # noqa: F403
from .api import *  # noqa: F403
from .base import *  # noqa: F403
from .infrastructure import *  # noqa: F403
from .observability import *  # noqa: F403
from .tenancy import *  # noqa: F403
