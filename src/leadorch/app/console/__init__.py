"""The ops console: what the server-rendered pages under `/console` show, assembled from read models.

Each module builds the values one page needs (formatted for people, charts already drawn as SVG), so
the templates only lay them out and the HTTP handlers only translate requests. Everything is read from
the read models and a lead's audit history, never by scanning the event log.
"""
