"""Writers for the output folder. Every file is written atomically (temporary file, then rename)."""
