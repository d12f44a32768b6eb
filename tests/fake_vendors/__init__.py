"""Fake vendor APIs for the fetch and push tests: a real HTTP server, documented endpoints."""
