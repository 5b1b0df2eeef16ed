package sqlstore

// SetPGEventStrategy switches how db's InsertEvents writes to PostgreSQL ("values",
// "unnest" or "copy"). For tests and benchmarks only.
func SetPGEventStrategy(db *DB, s string) { db.pgEvents = s }
