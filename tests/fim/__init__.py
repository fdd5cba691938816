"""XProzess 2 import and export and the mapping to the Steckbrief."""
