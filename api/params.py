"""Path parameters shared by the admin API's operations.

Identifiers are text like any other input (``mapping.fields.SafeText``): a ``%00`` in a URL is refused
with a 422 naming the parameter, instead of reaching the database.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from mapping.fields import SafeText

# Tenant ids are UUIDs and job ids UUID-like; anything much longer names nothing.
ID_MAX = 64

TenantId = Annotated[SafeText, Path(max_length=ID_MAX, description="The tenant's id.")]
JobId = Annotated[SafeText, Path(max_length=ID_MAX, description="The job's id (`jobId` when it was queued).")]
