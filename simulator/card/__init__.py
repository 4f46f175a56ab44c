"""The virtual Thai ID card (development only): a card OS for python3-virtualsmartcard, its vpcd
link, and the synthetic card holders it and the fleet simulator present. Never on a counter."""
