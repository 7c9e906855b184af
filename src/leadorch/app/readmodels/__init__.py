"""Read-model queries: what the API, the console and the actors read (never the event log).

One module per read model; every function takes the database first and the tenant next, and refuses
bad arguments with `errors.InvalidQuery`.
"""
