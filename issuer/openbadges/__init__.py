"""The pure Open Badges domain: documents, identities, keys, images, schemas.

Nothing here imports Flask or the database: plain values in, plain values out.
"""
