"""Pure domain rules: no Flask, no database. Tests call these directly."""
