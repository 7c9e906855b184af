"""Message templates: the default texts of the 13 touches, rendering, and save-time validation.

Call `validation.validate_template` when a tenant saves a template, and `rendering.render_email` /
`rendering.render_sms` when a touch is sent; `defaults.DEFAULT_TEMPLATES` maps touch number (1..13) to a
touch's email and SMS templates. Import from the modules themselves: this package re-exports nothing, so
importing one of them never imports the others (and no module of the package imports itself back).
"""
