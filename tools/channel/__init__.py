"""Channel selector: Beta-Binomial conversion posteriors, expected value, consent, budget, Thompson."""

from tools.channel.models import ChannelEstimate, ChannelParams, ChannelReport, SegmentChoice, UpdateResult
from tools.channel.select import choose_channels
from tools.channel.update import update_posterior

__all__ = [
    "ChannelEstimate",
    "ChannelParams",
    "ChannelReport",
    "SegmentChoice",
    "UpdateResult",
    "choose_channels",
    "update_posterior",
]
