"""One repository per aggregate; each returns domain objects, never rows."""
