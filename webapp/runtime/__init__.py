"""The process around the app: start-up, shutdown, drain, the dev server, operator CLI."""
