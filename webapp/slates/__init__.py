"""Slates in Neo4j: the graph model, loading a slate for a job, and importing one from a file."""
