"""The project's settings with persistent database connections, for comparison runs.

`python -m bench.live --settings bench.live.settings_persistent` measures what keeping each
thread's connection open (CONN_MAX_AGE) would change; the default run uses convenor.settings.
"""

from convenor.settings import *  # noqa: F403
from convenor.settings import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = None
