"""Moderation and safety: reports, re-upload scans, sensitive artwork, labels, the review desk."""
