"""The Enron-style check set: an independent, held-out corpus and questions (see build.py)."""
