"""Channel selector: Beta-Binomial conversion posteriors, expected value, consent, budget, Thompson."""

from __future__ import annotations

from typing import TYPE_CHECKING

from data.lazy import lazy_attributes

if TYPE_CHECKING:
    from tools.channel.models import (
        ChannelEstimate,
        ChannelParams,
        ChannelReport,
        SegmentChoice,
        UpdateResult,
    )
    from tools.channel.select import choose_channels
    from tools.channel.update import update_posterior

_WHERE: dict[str, str] = {
    "ChannelEstimate": "tools.channel.models",
    "ChannelParams": "tools.channel.models",
    "ChannelReport": "tools.channel.models",
    "SegmentChoice": "tools.channel.models",
    "UpdateResult": "tools.channel.models",
    "choose_channels": "tools.channel.select",
    "update_posterior": "tools.channel.update",
}
__all__ = [
    "ChannelEstimate",
    "ChannelParams",
    "ChannelReport",
    "SegmentChoice",
    "UpdateResult",
    "choose_channels",
    "update_posterior",
]
__getattr__ = lazy_attributes(__name__, _WHERE)
