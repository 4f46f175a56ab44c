"""The card module: the only place where card data (the citizen id) ever exists, in memory."""
