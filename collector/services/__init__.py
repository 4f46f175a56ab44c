"""The service catalogue: services (citizen-manual fields), their documents, where they are offered,
office hours and holidays, zero-copy status, search and nearest offices."""
