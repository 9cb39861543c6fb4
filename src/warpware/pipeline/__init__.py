"""The order pipeline: rules → hold or route → dispatch with retries → tracking → writeback."""
