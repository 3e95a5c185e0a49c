"""Botox-for-chronic-migraine FAQ assistant: knowledge base, answers and Rasa glue."""
