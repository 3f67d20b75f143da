"""Sources read one platform each and hand back platform-neutral `Mention`s plus the new checkpoint.

A source never writes to the store and never posts: it only reads. The pipeline stores the batch and moves
the checkpoint in one transaction.
"""

from bot.sources.base import Batch, Reject, Source

__all__ = ["Batch", "Reject", "Source"]
