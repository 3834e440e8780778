"""What the service tells its operators: structured logs, correlation ids, access lines, metrics."""
