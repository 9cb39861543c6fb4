"""Dashboard users of an account, their roles and their server-side sign-in sessions."""
