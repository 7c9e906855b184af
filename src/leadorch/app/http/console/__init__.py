"""The ops console: server-rendered pages under `/console` (no front-end build, nothing from a CDN).

Log in with the operator's admin token or a tenant's API token; the session cookie then scopes every
page to the tenants that token may see (another tenant answers 404, as in the API). Pages read read
models and a lead's audit history; buttons call the same use cases as the API and redirect back with
a notice (Post/Redirect/Get), and every form carries the session's CSRF token.

One controller per resource, each in its own module: `login` (the session), `tenants` (picking a
tenant, a lead's short link), `dashboard`, `inbox` (conversations, a thread, the reply box, take over
and hand back), `leads` (the list and a lead's page), `lead_actions` (the buttons on a lead's page),
`outbox`, `settings` and `demo`; `router` puts them under `/console` with the
console's HTML error pages. Handlers only translate requests: what a page shows is assembled in
`leadorch.app.console`.
"""
