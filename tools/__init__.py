"""Repository maintenance: generators of the docs and README sections, run from a checkout.

Not installed with the package (the wheel holds ``components`` only): each writes into this
repository, and a test per generator fails when what is committed differs from what it writes.
"""
