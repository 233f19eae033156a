"""The pure Open Badges domain: documents, identity hashing, keys, images, schemas (no Flask, no database)."""
