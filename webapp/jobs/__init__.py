"""Jobs: their states, their record in Redis, and the threads that run them."""
