"""The Bluesky source: the client and source (`source`), the post-to-Mention mapping (`mapping`), the search
(`search`) and the direct messages (`messages`)."""
