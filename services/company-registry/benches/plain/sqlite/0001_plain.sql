CREATE TABLE plain_listings (id TEXT PRIMARY KEY, source TEXT NOT NULL, record BLOB NOT NULL);
