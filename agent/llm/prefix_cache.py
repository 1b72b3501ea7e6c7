"""Key/value caches of recent prompt prefixes, so a call re-runs only the tokens it does not share.

The copy generator's batches share long prefixes (the system prompt with the brand's examples,
then a slot's worked examples: about 600 tokens), and so do its later rounds, its other slots and
the next request for the same brand. Encoding that prefix again cost about 4 s of one core per
call on the 2-core machine. ``PrefixCache.cache_for`` finds the stored prefix sharing the most
leading tokens with the new one, copies its cache, crops it to the shared part and runs only the
rest; greedy answers are the same as without it.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any


def _shared(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


class PrefixCache:
    """The last ``size`` prefixes' caches (batch of one); reused when at least ``min_shared`` tokens match."""

    def __init__(self, size: int = 4, min_shared: int = 16) -> None:
        self.size = size
        self.min_shared = min_shared
        self._entries: OrderedDict[tuple[int, ...], Any] = OrderedDict()
        self._lock = threading.Lock()
        self.reused_tokens = 0

    def cache_for(self, model: Any, prefix: Sequence[int]) -> Any:
        """A new ``DynamicCache`` holding ``prefix`` (batch of one), computed only past the best match."""
        import torch
        from transformers import DynamicCache

        key = tuple(prefix)
        with self._lock:
            best, shared = None, 0
            for stored in self._entries:
                n = _shared(stored, key)
                if n > shared:
                    best, shared = stored, n
            if best is not None and shared >= self.min_shared:
                self._entries.move_to_end(best)
                cache = copy.deepcopy(self._entries[best])
            else:
                cache, shared = DynamicCache(), 0
        extra = cache.get_seq_length() - shared
        if extra > 0:
            cache.crop(-extra)  # a negative count removes that many tokens (in every transformers 4.4x-5.x)
        if shared < len(key):
            model(input_ids=torch.tensor([key[shared:]]), cache=cache, use_cache=True, logits_to_keep=1)
        with self._lock:
            self.reused_tokens += shared
            self._entries[key] = copy.deepcopy(cache)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return cache
