"""Bringing records in from the network (a signed-in user's repo, the firehose) and handing
each to the domain that indexes it. It sits above the domains; `plyr.atproto` below them is
the protocol itself."""
