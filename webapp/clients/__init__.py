"""Connections to the outside services: Redis (direct or through Sentinel) and Neo4j."""
