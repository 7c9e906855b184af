"""A conversation with the customer on every channel: one assistant turn, answered where they wrote."""
