"""The domain layer: every write goes through here. Functions add and flush; they never commit."""
