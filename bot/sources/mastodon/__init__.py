"""The Mastodon source: the client and source (`source`), the status-to-Mention mapping (`mapping`) and the
HTML-to-text reading of a status (`html`)."""
