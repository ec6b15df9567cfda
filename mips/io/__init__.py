"""What is saved and shown: run folders, reports, provenance, inspection."""
