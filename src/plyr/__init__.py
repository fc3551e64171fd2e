"""plyr: AT-Protocol-native audio streaming."""

__version__ = "0.1.0"
