"""Share links with listen receipts."""
