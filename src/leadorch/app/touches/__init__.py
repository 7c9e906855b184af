"""The touch engine: sends each due touch of a lead's cadence once, at a decent hour, on allowed channels.

`dispatch.dispatch_touch` is the whole send protocol; `tick`, `sweep` and `lost` are the periodic jobs
that find work in the read models; `actors` declares them to the Dramatiq runtime.
"""
