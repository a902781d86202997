"""Seeded synthetic image edits: the scene model (`scene`), drawing (`render`), random scenes, edits and their
words (`edits`), the dataset export and the UI examples. Imports `apps.image_diff.answers` only within the app."""
