"""Request counters of the rate limits, shared by every worker and host on the database."""

from __future__ import annotations

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from issuer.extensions import Base


class RateLimitCounter(Base):
    """How many requests one client made in one limit's current window, and when it ends."""

    __tablename__ = "rate_limit_counters"

    # The limit's key: the limited views, the client's address and the limit itself.
    bucket: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int]
    # Seconds since 1970 (the limits library's clock): the end of the window.
    expires_at: Mapped[float] = mapped_column(Float, index=True)
