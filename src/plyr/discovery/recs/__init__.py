"""The SQL behind playlist recommendations and For You (`plyr.discovery.recommendations`,
`plyr.discovery.foryou`)."""
