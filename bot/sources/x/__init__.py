"""The X (API v2) source: the client (`client`), the payload-to-Mention mapping (`mapping`), the rate-limit
pacing (`pacing`), the credentials check (`check`) and the source itself (`source`)."""
