"""The event catalogue: the envelope, every event payload, and upcasting.

Importing this package registers every payload type.
"""

from shared.events import measurements as measurements
from shared.events import reporting as reporting
from shared.events import scheduler as scheduler
from shared.events import sessions as sessions
