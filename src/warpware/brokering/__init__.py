"""Brokering: choosing the location(s) that fill each order, and the runs and queues around it."""
