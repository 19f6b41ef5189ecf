"""Drop-in public board APIs: the careers board served in Greenhouse's and Lever's public shapes."""
