"""Mass mode of the fleet simulator: thousands of MQTT devices on one asyncio loop (issue 14)."""
