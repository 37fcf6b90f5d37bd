"""Who may do what: users, passwords, sign-in sessions, API tokens, quotas."""
